"""The estimation machinery shared by every fit: bounded transform, prior, optimiser, Laplace, NUTS.

A fit is a nonlinear least-squares problem in an unconstrained space. Each free parameter ``x``
with documented bounds ``(lo, hi)`` (its metadata, see :mod:`myoreflex.params`) is written as::

    x = lo + (hi - lo) sigmoid(z),        z = logit((x - lo) / (hi - lo)),

so every ``z`` in R is a valid parameter and the optimiser needs no constraints. The prior is
logit-normal, ``z ~ N(z_0, s^2)``, centred on the starting parameter set (``params0``, normally a
documented preset) with ``s = pi / sqrt(3)``, the spread in ``z`` of a uniform prior on the
documented bounds (a uniform on ``(lo, hi)`` is the standard logistic distribution in ``z``, whose
standard deviation is ``pi / sqrt(3)``): weak, but it keeps a parameter the data cannot see at
its preset value instead of the middle of its range. A parameter whose preset comes from a
population regression with a known individual error (a segment's inertia,
:data:`myoreflex.fit.pipeline.REGRESSION_PRIORS`) gets that error as its prior sd instead
(:func:`log_prior_sd_z`). Nuisance parameters (the release angle and
time of a pendulum) are unbounded with a normal prior around their measured value.

With Gaussian measurement errors of standard deviation ``sigma`` the negative log posterior is,
up to a constant, half a sum of squares::

    F(z) = 1/2 sum_i ((m_i(z) - y_i) / sigma)^2 + 1/2 sum_j ((z_j - mu_j) / s_j)^2,

minimised by Levenberg-Marquardt (:func:`levenberg_marquardt`) with Jacobians from JAX
forward-mode differentiation through the simulation. The Laplace approximation
(:func:`laplace`) is the Gaussian ``N(z*, H^-1)`` with ``H`` the Hessian of ``F`` at the optimum
``z*``; :func:`nuts` draws from the exact posterior ``exp(-F)`` with the No-U-Turn sampler.
When the data mix channels (a stretch's torque in N m and EMG), each channel has its own
``sigma`` (:class:`NoiseModel`).

A fit model (:mod:`~myoreflex.fit.pendulum`, :mod:`~myoreflex.fit.stretch`) supplies only its
prepared recordings and its residuals (the contract of :mod:`myoreflex.fit.pipeline`); the
pipeline builds the :class:`Problem` (the residuals and their Jacobian, :func:`model_jacobians`,
compiled for a batch of points) and the :class:`NoiseModel`, and :func:`estimate` runs the rest:
screened starts, optimum, noise estimate, Laplace intervals and identifiability, optionally NUTS.

References: Nielsen 1999 (damping update) as given by Madsen, Nielsen & Tingleff 2004, *Methods
for non-linear least squares problems*, 2nd ed., DTU, Algorithm 3.16; Marquardt 1963 J SIAM 11:431
(diagonal scaling); MacKay 2003, *Information Theory, Inference and Learning Algorithms*, ch. 27
(Laplace's method); Hoffman & Gelman 2014 J Mach Learn Res 15:1593 (NUTS) in NumPyro (Phan,
Pradhan & Jankowiak 2019, arXiv:1912.11554); Bayley & Hammersley 1946 J R Stat Soc Suppl 8:184
(effective number of autocorrelated observations); Sokal 1997 (integrated autocorrelation time).
"""

from __future__ import annotations

import dataclasses
import math
import sys
import types
from collections.abc import Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from myoreflex import runtime
from myoreflex.errors import ParameterError, describe

PRIOR_SD_Z = math.pi / math.sqrt(3.0)
"""Prior standard deviation in the unconstrained space: that of a uniform prior on the bounds."""

Z_95 = 1.959963984540054
"""Two-sided 95 % quantile of the standard normal."""

NOT_IDENTIFIED_SD_RATIO = 0.5
"""A parameter whose 95 % posterior interval is wider than this fraction of its prior's is not identified."""

FLAT_STEPS = 5
"""Accepted steps over which a start whose cost no longer falls counts as converged."""

NOT_IDENTIFIED_CORRELATION = 0.95
"""Two parameters with |posterior correlation| above this are not separately identified."""

MOVED_Z = 1e-6
"""A free parameter whose optimum lies within this of its start (unconstrained units, whose prior sd
is :data:`PRIOR_SD_Z` = 1.81) did not move: the optimiser saw no gradient in it. Far below any
statistical scale (a posterior sd of 1e-6 would need ~1e12 samples at a unit sensitivity), far above
rounding (1e-16 relative). Such a fit is never ``converged`` (:func:`convergence`)."""

CONVERGED_DECREMENT = 0.1
"""Largest Newton decrement ``g^T H^-1 g`` of a converged fit, at the optimum, in the Laplace posterior's
own metric (the gradient ``g`` and Hessian ``H`` of ``F`` with the noise of the intervals). The local
quadratic model then places the true optimum within ``sqrt(0.1) = 0.32`` posterior sd of the reported one
(its 95 % interval shifted by at most 16 % of its half-width) and promises a decrease of ``F`` of at
most 0.05, statistically nothing (a likelihood-ratio test needs 1.92 for 95 %). The transform to the
bounds makes this the projected gradient: at a bound ``dx/dz -> 0``, so a parameter pressed against its
bound by the data contributes no gradient (Bertsekas 1982, projected Newton methods, SIAM J Control
Optim 20:221, whose stationarity test ignores the components pointing out of the feasible set)."""

PROFILE_RISE = 1.920729410347062
"""``chi2_1(0.95) / 2``: a profile of ``F`` (the negative log posterior) that rises less than this over a
side of its grid leaves that side inside the likelihood-ratio 95 % interval (Venzon & Moolgavkar 1988
J R Stat Soc C 37:87; Raue et al. 2009 Bioinformatics 25:1923, practical non-identifiability)."""


def to_unconstrained(x, low, high):
    """``z = logit((x - lo) / (hi - lo))``; values at or beyond a bound are moved 1e-9 inside."""
    x = np.asarray(x, dtype=float)
    unit = np.clip((x - low) / (high - low), 1e-9, 1.0 - 1e-9)
    return np.log(unit) - np.log1p(-unit)


def to_constrained(z, low, high, bounded=True):
    """``x = lo + (hi - lo) sigmoid(z)`` where ``bounded``, else ``x = z``: the one transform to the bounds.

    NumPy arrays in, NumPy out (reported values, intervals, draws); a JAX array or tracer in, JAX out
    (inside the residuals of :func:`model_jacobians`, differentiated by ``jacfwd``).
    """
    if isinstance(z, jax.Array):
        return jnp.where(bounded, low + (high - low) * jax.nn.sigmoid(z), z)
    z = np.asarray(z, dtype=float)
    return np.where(bounded, low + (high - low) / (1.0 + np.exp(-z)), z)


def log_prior_sd_z(sd_log: float, x: float, low: float, high: float) -> float:
    """The sd in ``z`` of a prior with sd ``sd_log`` on ``log x`` at ``x`` (the delta method through
    :func:`to_unconstrained`): ``sd_z = sd_log x / (dx/dz)`` (:func:`constrained_slope`), i.e.
    ``sd_log x (hi - lo) / ((x - lo)(hi - x))``. Far below the upper
    bound and far above a lower bound of 0, ``z ~ log x`` and the two sds agree.

    >>> round(log_prior_sd_z(0.2, 0.458, 1e-4, 3.0), 3)   # a shank's inertia, 20 %
    0.236
    """
    return float(sd_log * x / constrained_slope(to_unconstrained(x, low, high), low, high))


def constrained_slope(z, low, high, bounded=True) -> np.ndarray:
    """``dx/dz`` of :func:`to_constrained`: ``(hi - lo) s (1 - s)`` with ``s = sigmoid(z)``, 1 where unbounded
    (the delta method's factor from an sd in ``z`` to one on the parameter's scale)."""
    unit = 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
    return np.where(bounded, (high - low) * unit * (1.0 - unit), 1.0)


@dataclasses.dataclass(frozen=True)
class Problem:
    """A least-squares posterior: names, transforms, prior and the batched residual evaluator.

    ``evaluate(z)`` takes unconstrained points of shape ``(n, k)`` and returns the data residuals
    ``r = model - data`` in the data's unit, shape ``(n, m)``, and their Jacobian ``dr/dz``,
    shape ``(n, m, k)`` (masked samples give zero rows). ``bounded[j]`` says whether column ``j``
    uses the logit transform (else it is the identity).
    """

    names: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    bounded: np.ndarray
    prior_mean: np.ndarray
    prior_sd: np.ndarray
    evaluate: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

    def values(self, z) -> np.ndarray:
        """Parameter values (SI) of unconstrained points ``z`` (``(..., k)``)."""
        return to_constrained(np.asarray(z, dtype=float), self.low, self.high, self.bounded)

    def unconstrained(self, x) -> np.ndarray:
        """Inverse of :meth:`values`."""
        x = np.asarray(x, dtype=float)
        return np.where(self.bounded, to_unconstrained(x, self.low, self.high), x)

    def augmented(self, z, r, jac, sigma):
        """All residuals of ``F`` (data over ``sigma``, then the prior) and their Jacobian.

        ``sigma`` is one noise sd for every data residual, or one per residual (shape ``(m,)``)
        when the data mix channels of different units (:class:`NoiseModel`).
        """
        k = z.shape[-1]
        sigma = np.asarray(sigma, dtype=float)
        prior_r = (z - self.prior_mean) / self.prior_sd
        prior_j = np.broadcast_to(np.diag(1.0 / self.prior_sd), z.shape[:-1] + (k, k))
        return (
            np.concatenate([r / sigma, prior_r], axis=-1),
            np.concatenate([jac / (sigma[:, None] if sigma.ndim else sigma), prior_j], axis=-2),
        )


def half_sum_of_squares(residuals):
    """``F = 1/2 sum r^2`` over the last axis; inf where it is not finite."""
    cost = 0.5 * np.sum(residuals**2, axis=-1)
    return np.where(np.isfinite(cost), cost, np.inf)


@dataclasses.dataclass(frozen=True)
class Optimum:
    """Outcome of :func:`levenberg_marquardt` for a batch of starts."""

    z: np.ndarray  # (B, k)
    cost: np.ndarray  # (B,)
    converged: np.ndarray  # (B,) bool
    reason: tuple[str, ...]
    iterations: np.ndarray  # (B,)
    costs: tuple[tuple[float, ...], ...]  # per start, accepted costs
    residuals: np.ndarray  # (B, m) data residuals at z (data unit)
    jacobian: np.ndarray  # (B, m, k) their Jacobian


def levenberg_marquardt(
    problem: Problem,
    z0,
    sigma: float,
    *,
    max_iter: int = 60,
    xtol: float = 1e-8,
    decrement_tol: float = 1e-4,
    flat_rtol: float = 1e-4,
    dominated_margin: float = 2.0,
    initial: tuple[np.ndarray, np.ndarray] | None = None,
) -> Optimum:
    """Minimise ``F`` from every row of ``z0`` at once (one batched model call per iteration).

    Marquardt-scaled damping ``(A + mu diag(A)) h = -g`` with ``A = J^T J``, ``g = J^T R``; the
    damping follows Nielsen's rule: after an accepted step with gain ratio ``rho``,
    ``mu <- mu max(1/3, 1 - (2 rho - 1)^3)``, after a rejected one ``mu <- nu mu, nu <- 2 nu``
    (Madsen, Nielsen & Tingleff 2004, Algorithm 3.16). A start has converged when the Gauss-Newton
    decrement ``g^T A^-1 g`` is below ``decrement_tol`` (the optimum is then about
    ``sqrt(decrement_tol)`` posterior standard deviations away: a statistically meaningful test) or
    the step is below ``xtol (1 + max|z|)``, or when its last :data:`FLAT_STEPS` accepted steps
    lowered ``F`` by less than ``flat_rtol F`` in all (1e-4: 0.05 in chi-square for a fit at the
    noise level, ``F ~ n/2``; statistically nothing. It ends the slow crawl of a parameter towards
    a bound the data barely see); it fails when its model evaluation is not finite at the
    start (reason ``"nonfinite"``), when the damping runs away (``"stalled"``) or at ``max_iter``.
    ``initial`` passes the data residuals and Jacobian at ``z0`` when they are known already.
    """
    z = np.array(z0, dtype=float)
    n_starts = z.shape[0]
    r, jac = problem.evaluate(z) if initial is None else (np.array(initial[0]), np.array(initial[1]))
    big_r, big_j = problem.augmented(z, r, jac, sigma)
    cost = half_sum_of_squares(big_r)
    a = np.einsum("bmi,bmj->bij", big_j, big_j)
    g = np.einsum("bmi,bm->bi", big_j, big_r)
    diag = np.maximum(np.einsum("bii->bi", a), 1e-12)
    mu = np.full(n_starts, 1e-3)
    nu = np.full(n_starts, 2.0)
    active = np.isfinite(cost)
    converged = np.zeros(n_starts, dtype=bool)
    reason = ["running" if ok else "nonfinite" for ok in active]
    iterations = np.zeros(n_starts, dtype=int)
    costs = [[float(c)] for c in cost]

    def decrement(b):  # Newton decrement g^T A^+ g; least squares: A may be (numerically) singular
        return float(g[b] @ np.linalg.lstsq(a[b], g[b], rcond=None)[0])

    for b in range(n_starts):
        if active[b] and decrement(b) < decrement_tol:
            active[b], converged[b], reason[b] = False, True, "decrement"
    for _ in range(max_iter):
        if not active.any():
            break
        step = np.zeros_like(z)
        for b in np.flatnonzero(active):
            lhs = a[b] + mu[b] * np.diag(diag[b])
            step[b] = -np.linalg.solve(lhs, g[b])
        candidate = z + step
        r_new, jac_new = problem.evaluate(candidate)
        big_r_new, big_j_new = problem.augmented(candidate, r_new, jac_new, sigma)
        cost_new = half_sum_of_squares(big_r_new)
        predicted = 0.5 * np.einsum("bi,bi->b", step, mu[:, None] * diag * step - g)
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = (cost - cost_new) / predicted
        for b in np.flatnonzero(active):
            iterations[b] += 1
            if np.isfinite(cost_new[b]) and rho[b] > 0:
                z[b], cost[b] = candidate[b], cost_new[b]
                r[b], jac[b] = r_new[b], jac_new[b]
                a[b] = big_j_new[b].T @ big_j_new[b]
                g[b] = big_j_new[b].T @ big_r_new[b]
                diag[b] = np.maximum(np.diag(a[b]), 1e-12)
                mu[b] *= max(1.0 / 3.0, 1.0 - (2.0 * rho[b] - 1.0) ** 3)
                nu[b] = 2.0
                costs[b].append(float(cost[b]))
                if decrement(b) < decrement_tol:
                    active[b], converged[b], reason[b] = False, True, "decrement"
                elif np.max(np.abs(step[b])) < xtol * (1.0 + np.max(np.abs(z[b]))):
                    active[b], converged[b], reason[b] = False, True, "step"
                elif (
                    len(costs[b]) > FLAT_STEPS
                    and costs[b][-FLAT_STEPS - 1] - costs[b][-1] < flat_rtol * cost[b]
                ):
                    active[b], converged[b], reason[b] = False, True, "flat"
            else:
                mu[b] *= nu[b]
                nu[b] *= 2.0
                if mu[b] > 1e14:
                    active[b], reason[b] = False, "stalled"
        # A start whose cost, less the decrease its local quadratic model still promises, stays
        # above a converged start's cost by more than `dominated_margin` cannot reach a better
        # optimum nearby: stop it, so the batch does not wait for slow, worse starts.
        if converged.any():
            best = np.min(cost[converged])
            for b in np.flatnonzero(active):
                if cost[b] - 0.5 * decrement(b) > best + dominated_margin:
                    active[b], reason[b] = False, "dominated"
    for b in np.flatnonzero(active):
        reason[b] = "max_iter"
    return Optimum(
        z=z,
        cost=cost,
        converged=converged,
        reason=tuple(reason),
        iterations=iterations,
        costs=tuple(tuple(c) for c in costs),
        residuals=r,
        jacobian=jac,
    )


def gradient(problem: Problem, z, sigma: float) -> np.ndarray:
    """``grad F`` at points ``z`` of shape ``(n, k)``: ``J^T R`` (exact; forward-mode Jacobian)."""
    r, jac = problem.evaluate(z)
    big_r, big_j = problem.augmented(z, r, jac, sigma)
    return np.einsum("bmi,bm->bi", big_j, big_r)


@dataclasses.dataclass(frozen=True)
class Laplace:
    """The Gaussian approximation ``N(z*, covariance)`` of the posterior in the unconstrained space."""

    z: np.ndarray
    hessian: np.ndarray
    covariance: np.ndarray
    positive_definite: bool
    hessian_method: str
    gradient: np.ndarray | None = None  # grad F at z*: the mean of the central-difference points' (error O(h^2))


def _differenced_hessian(problem: Problem, z_star, sigma: float, step: float):
    """Central differences of the exact gradient at ``z*`` with step ``h``: the symmetrised Hessian,
    the size of its error (the antisymmetric part's 2-norm), its smallest eigenvalue and the
    gradients at the ``2k`` points."""
    k = z_star.size
    offsets = step * np.eye(k)
    grads = gradient(problem, np.concatenate([z_star + offsets, z_star - offsets]), sigma)
    raw = (grads[:k] - grads[k:]).T / (2.0 * step)
    hessian = 0.5 * (raw + raw.T)
    if not np.all(np.isfinite(hessian)):
        return hessian, 0.0, -np.inf, grads
    return hessian, float(np.linalg.norm(0.5 * (raw - raw.T), 2)), float(np.min(np.linalg.eigvalsh(hessian))), grads


def laplace(problem: Problem, z_star, sigma: float, *, step: float = 1e-4) -> Laplace:
    """Hessian of ``F`` at ``z*`` by central differences of the exact JAX gradient, and its inverse.

    ``H[:, j] = (g(z* + h e_j) - g(z* - h e_j)) / 2h`` with ``h = 1e-4`` in ``z`` (truncation error
    O(h^2), far below the statistical error), symmetrised. When it is not positive definite the
    Gauss-Newton matrix ``J^T J`` stands in, and ``positive_definite`` is False (the optimum is not
    a minimum) unless the negative eigenvalue lies within the differences' own error at ``h`` or at
    ``10 h``. A simulation's gradient is not smooth to the last digit (rectifications, the release
    between time steps): the antisymmetric part ``(H - H^T) / 2`` of the unsymmetrised differences,
    zero for an exact Hessian, measures that error, and an eigenvalue above ``-||(H - H^T) / 2||_2``
    cannot be told from zero (Weyl's inequality). On a kink of the objective smaller than ``h`` the
    differences at ``h`` see one side's curvature; at ``10 h``, still a tenth of a posterior sd or
    less for these fits, they see the minimum the data define. (Issue 14: a synthetic multiple-
    sclerosis pendulum, smallest eigenvalue -965 at h = 1e-4 against an error of 15,000; CP1's right
    knee, -459 at 1e-4 with an error of 0.3 and +5.6 at 1e-3, the same optimum read as a minimum or
    not by the optimiser's seed.)
    """
    z_star = np.asarray(z_star, dtype=float)
    hessian, error, smallest, grads = _differenced_hessian(problem, z_star, sigma, step)
    method = "finite differences of the JAX gradient"
    positive = smallest > 0
    if not positive:
        coarse = _differenced_hessian(problem, z_star, sigma, 10.0 * step)
        positive = smallest > -error or coarse[2] > -coarse[1]
        r, jac = problem.evaluate(z_star[None])
        _, big_j = problem.augmented(z_star[None], r, jac, sigma)
        hessian = big_j[0].T @ big_j[0]
        method = (f"Gauss-Newton J^T J (the exact Hessian's smallest eigenvalue, {smallest:.3g} at h = {step:g} and "
                  f"{coarse[2]:.3g} at {10 * step:g}, is within its finite-difference error, {error:.3g} and "
                  f"{coarse[1]:.3g})" if positive else
                  "Gauss-Newton J^T J (the exact Hessian was not positive definite)")
    covariance = np.linalg.inv(hessian)
    covariance = 0.5 * (covariance + covariance.T)
    return Laplace(
        z=z_star, hessian=hessian, covariance=covariance, positive_definite=positive, hessian_method=method,
        gradient=np.mean(grads, axis=0),
    )


def correlation_matrix(covariance) -> np.ndarray:
    """Correlations from a covariance (invariant under the per-parameter transform's scaling)."""
    sd = np.sqrt(np.diag(covariance))
    return covariance / np.outer(sd, sd)


def identification(problem: Problem, z_star, covariance, *, checked: Sequence[bool],
                   unmoved: Sequence[str] = ()) -> dict[str, dict]:
    """Whether the data identify each ``checked`` parameter, and why: ``{name: verdict}``.

    A verdict holds ``identified`` (bool), ``reasons`` (why not; empty when identified),
    ``interval_fraction_of_prior`` (95 % posterior interval width over the prior's, on the
    parameter's scale), ``sd_fraction_of_prior_z`` (posterior sd over prior sd in ``z``),
    ``max_abs_correlation`` (with another free parameter) and ``interval_at_bound`` (the interval
    reaches within 1 % of the range of a bound: it is then bounded on one side only).

    A parameter is not identified when (Raue et al. 2009 Bioinformatics 25:1923, practical
    identifiability from the posterior's width):

    - the data narrowed its prior by less than half (:data:`NOT_IDENTIFIED_SD_RATIO`) both in ``z``
      (posterior sd over prior sd) and on the parameter's own scale (95 % interval widths): a gain
      pressed against its lower bound of 0 has a wide interval in ``z`` but a narrow, informative one
      in 1/pps, and is identified;
    - it is so correlated with another free parameter (``|r| > NOT_IDENTIFIED_CORRELATION``) that only
      a combination of the two is determined;
    - it is in ``unmoved``: the optimiser never moved it from its start (:data:`MOVED_Z`), i.e. the
      data give it no gradient there (a threshold above every afferent rate of the swing).

    A flat profile likelihood (:func:`profile`) is a fourth reason, added by the pipeline.
    """
    sd = np.sqrt(np.diag(covariance))
    corr = correlation_matrix(covariance)
    upper, lower = problem.values(z_star + Z_95 * sd), problem.values(z_star - Z_95 * sd)
    posterior = upper - lower
    prior = problem.values(problem.prior_mean + Z_95 * problem.prior_sd) - problem.values(
        problem.prior_mean - Z_95 * problem.prior_sd
    )
    names = problem.names
    out = {}
    for j, name in enumerate(names):
        if not checked[j]:
            continue
        ratio = float(posterior[j] / prior[j])
        sd_ratio = float(sd[j] / problem.prior_sd[j])
        others = [abs(float(corr[j, i])) for i in range(len(names)) if i != j and checked[i]]
        span = problem.high[j] - problem.low[j]
        at_bound = bool(problem.bounded[j] and (lower[j] - problem.low[j] < 0.01 * span
                                                  or problem.high[j] - upper[j] < 0.01 * span))
        reasons = []
        if name in unmoved:
            reasons.append("the optimiser never moved it from its start: the data give it no gradient there")
        if ratio > NOT_IDENTIFIED_SD_RATIO and sd_ratio > NOT_IDENTIFIED_SD_RATIO:
            reasons.append(f"its 95 % interval is {100 * ratio:.0f} % as wide as its prior's "
                           f"(identified: below {100 * NOT_IDENTIFIED_SD_RATIO:.0f} %)")
        for i in range(len(names)):
            if i != j and checked[i] and abs(corr[i, j]) > NOT_IDENTIFIED_CORRELATION:
                reasons.append(f"posterior correlation {corr[i, j]:+.3f} with `{names[i]}`: only a combination "
                               "of the two is determined")
        out[name] = {
            "identified": not reasons,
            "reasons": reasons,
            "interval_fraction_of_prior": ratio,
            "sd_fraction_of_prior_z": sd_ratio,
            "max_abs_correlation": max(others, default=0.0),
            "interval_at_bound": at_bound,
        }
    return out


def identifiability(problem: Problem, z_star, covariance, *, checked: Sequence[bool],
                    unmoved: Sequence[str] = ()) -> list[str]:
    """Messages for parameters the data do not identify (``checked`` marks the ones to judge): the
    rules of :func:`identification`, one message per parameter without a gradient or too wide an
    interval, one per strongly correlated pair."""
    verdicts = identification(problem, z_star, covariance, checked=checked, unmoved=unmoved)
    messages = []
    for name, verdict in verdicts.items():
        if name in unmoved:
            messages.append(f"`{name}` is not identified by the data: the optimiser never moved it from its "
                            "start (no gradient there); fix it or add data that depend on it")
        elif verdict["interval_fraction_of_prior"] > NOT_IDENTIFIED_SD_RATIO and (
            verdict["sd_fraction_of_prior_z"] > NOT_IDENTIFIED_SD_RATIO
        ):
            messages.append(
                f"`{name}` is not identified by the data: its 95 % interval is "
                f"{100 * verdict['interval_fraction_of_prior']:.0f} % as wide as its prior's; fix it or add data "
                "that depend on it"
            )
    names = problem.names
    corr = correlation_matrix(covariance)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if (checked[i] or checked[j]) and abs(corr[i, j]) > NOT_IDENTIFIED_CORRELATION:
                messages.append(
                    f"`{names[i]}` and `{names[j]}` are not separately identified: posterior correlation "
                    f"{corr[i, j]:+.3f}; only a combination of the two is determined"
                )
    return messages


def convergence(z_start, z_star, grad, hessian, positive_definite: bool, *, names: Sequence[str],
                checked: Sequence[bool], z_first=None, as_step: bool = False) -> dict:
    """The convergence test of a fit: it moved, its gradient is small, its Hessian positive definite.

    ``moved``: every ``checked`` (free) parameter moved more than :data:`MOVED_Z` from the start of
    the optimiser run that won and, when given, from ``z_first`` (``params0``, the prior's centre: a
    parameter the data do not see is pulled back there exactly from a drawn start) -- a fit left at
    its starting values has found nothing, whatever its optimiser's stopping rule said; ``decrement``: the Newton decrement ``g^T H^-1 g`` at the optimum
    below :data:`CONVERGED_DECREMENT` (the projected gradient is small, see there); with ``as_step``,
    ``grad`` is the Gauss-Newton step ``h`` still left to the optimum of the objective the optimiser
    minimised and the decrement is ``h^T H h``, that step's length squared in the metric of ``H``
    (the intervals' Hessian: the intervals' noise differs from the optimiser's white noise when the
    residuals are autocorrelated, so the two gradients differ);
    ``positive_definite``: the Hessian of ``F`` there is (a minimum, not a saddle). Returns those
    three, ``unmoved`` (the names that did not move), ``converged`` (all three) and ``reasons``.
    """
    z_start, z_star = np.asarray(z_start, dtype=float), np.asarray(z_star, dtype=float)
    z_first = z_start if z_first is None else np.asarray(z_first, dtype=float)
    unmoved = [n for n, c, a, f, b in zip(names, checked, z_start, z_first, z_star)
               if c and min(abs(b - a), abs(b - f)) <= MOVED_Z]
    grad = np.asarray(grad, dtype=float)
    if as_step:
        decrement = float(grad @ hessian @ grad) if np.all(np.isfinite(grad)) else np.inf
    elif positive_definite and np.all(np.isfinite(grad)):
        decrement = float(grad @ np.linalg.solve(hessian, grad))
    else:
        decrement = float(grad @ np.linalg.lstsq(hessian, grad, rcond=None)[0]) if np.all(np.isfinite(grad)) else np.inf
    reasons = []
    if unmoved:
        reasons.append("the optimiser left " + ", ".join(f"`{n}`" for n in unmoved) + " at its start")
    if not decrement < CONVERGED_DECREMENT:
        reasons.append(f"the gradient is not small: Newton decrement {decrement:.3g} "
                       f"(converged: below {CONVERGED_DECREMENT:g})")
    if not positive_definite:
        reasons.append("the Hessian is not positive definite (not a minimum)")
    return {"converged": not reasons, "moved": not unmoved, "unmoved": unmoved, "decrement": decrement,
            "positive_definite": bool(positive_definite), "reasons": reasons}


def _crossings(z_fixed, delta, side, problem: Problem, j: int) -> list:
    """Where the profile first rises through :data:`PROFILE_RISE` on each side of the optimum (linear in
    ``z`` between grid points, mapped to the parameter's scale): the likelihood-ratio 95 % interval
    of the grid's resolution; None on a side that never rises that far (bounded there by the prior only)."""
    out = []
    for direction in (-1, 1):
        points = sorted(((abs(z - z_fixed[0]), z, d) for z, d, s in zip(z_fixed, delta, side) if s == direction))
        previous_z, previous_d, found = z_fixed[0], 0.0, None
        for _, z, d in points:
            if d >= PROFILE_RISE:
                fraction = (PROFILE_RISE - previous_d) / (d - previous_d) if d > previous_d else 1.0
                z_cross = previous_z + min(max(fraction, 0.0), 1.0) * (z - previous_z)
                found = float(to_constrained(np.array([z_cross]), problem.low[j], problem.high[j],
                                             problem.bounded[j])[0])
                break
            previous_z, previous_d = z, max(d, previous_d)
        out.append(found)
    return out


PROFILE_MAX_ITER = 30
"""Levenberg-Marquardt iterations per profile point (the others start at the optimum's values, a short way off)."""


def _fixed(problem: Problem, j: int, z_fixed: np.ndarray) -> Problem:
    """``problem`` with column ``j`` held at ``z_fixed[b]`` in row ``b`` of every evaluated batch."""
    keep = np.array([i for i in range(len(problem.names)) if i != j], dtype=int)

    def evaluate(z, **kwargs):
        z = np.atleast_2d(np.asarray(z, dtype=float))
        full = np.insert(z, j, z_fixed[: z.shape[0]], axis=1)
        r, jac = problem.evaluate(full, **kwargs)
        return r, jac[..., keep]

    return Problem(
        names=tuple(problem.names[i] for i in keep), low=problem.low[keep], high=problem.high[keep],
        bounded=problem.bounded[keep], prior_mean=problem.prior_mean[keep], prior_sd=problem.prior_sd[keep],
        evaluate=evaluate,
    )


def profile(problem: Problem, z_star, sigma, covariance, j: int) -> dict:
    """The profile of ``F`` along parameter ``j``: ``F`` re-minimised over every other parameter with
    ``j`` held at each point of a short grid, less its minimum.

    Grid (unconstrained ``z``; 7 points, one compiled batch of 8, so a profile costs about one
    optimisation from the best start: 10-30 batched model calls): the optimum; ``z* +- 1.96 sd``
    of the Laplace approximation (where a Gaussian posterior's profile reaches :data:`PROFILE_RISE`:
    a check of the Laplace intervals); and on each side the edge of the prior's 95 % range (or
    ``z* -+ 0.5`` when the optimum lies beyond it) and the point halfway to it. The profiled
    parameter's own prior term is left out, the other parameters' priors are kept (a profile
    posterior; Raue et al. 2009 Bioinformatics 25:1923).

    Returns ``{"ci95", "values", "delta", "side", "rise_low", "rise_high", "flat", "one_sided",
    "better_optimum"}``: the likelihood-ratio 95 % interval read off the grid (:func:`_crossings`; None
    on a side that stays below the rise), the grid on the parameter's scale (SI), ``F - F*`` there, which side of the
    optimum each point is (-1, 0, 1), the largest rise on each side, ``flat`` when neither side rises
    by :data:`PROFILE_RISE` (the likelihood-ratio 95 % interval then spans the prior's 95 % range:
    not identified), ``one_sided`` when one side does not (bounded on the other side only), and
    ``better_optimum`` when a point found a lower ``F`` than the optimum's (the reported fit is then
    a local optimum), and ``converged_points``: how many of the 7 re-optimisations met their stopping
    rule within :data:`PROFILE_MAX_ITER` iterations (the others stopped early, so their ``delta`` may
    overstate the profile: a rise there is an upper bound, a flat side stays flat).
    """
    z_star = np.asarray(z_star, dtype=float)
    sd = float(np.sqrt(covariance[j, j]))
    centre, spread = problem.prior_mean[j], Z_95 * problem.prior_sd[j]
    low_edge = min(centre - spread, z_star[j] - 0.5)
    high_edge = max(centre + spread, z_star[j] + 0.5)
    offsets = np.array([0.0, -Z_95 * sd, Z_95 * sd, 0.5 * (low_edge - z_star[j]), low_edge - z_star[j],
                        0.5 * (high_edge - z_star[j]), high_edge - z_star[j]])
    z_fixed = z_star[j] + offsets
    sub = _fixed(problem, j, z_fixed)
    start = np.repeat(np.delete(z_star, j)[None], offsets.size, axis=0)
    optimum = levenberg_marquardt(sub, start, sigma, max_iter=PROFILE_MAX_ITER)
    delta = optimum.cost - optimum.cost[0]
    side = np.sign(offsets).astype(int)
    rise_low = float(np.max(delta[side < 0]))
    rise_high = float(np.max(delta[side > 0]))
    x = problem.values(np.insert(np.zeros((offsets.size, len(z_star) - 1)), j, z_fixed, axis=1))[:, j]
    order = np.argsort(x)
    return {
        "ci95": _crossings(z_fixed, delta, side, problem, j),
        "values": [float(v) for v in x[order]],
        "delta": [float(d) for d in delta[order]],
        "side": [int(v) for v in side[order]],
        "rise_low": rise_low,
        "rise_high": rise_high,
        "flat": bool(rise_low < PROFILE_RISE and rise_high < PROFILE_RISE),
        "one_sided": bool((rise_low < PROFILE_RISE) != (rise_high < PROFILE_RISE)),
        "better_optimum": bool(np.min(delta) < -0.5),
        "converged_points": int(np.sum(optimum.converged)),
    }


def with_assumed(covariance, jac, dr_dassumed, sigma, prior_sd_log) -> tuple[np.ndarray, np.ndarray]:
    """The covariance of ``z`` when parameters held fixed at assumed values carry their known error.

    A fit holds some parameters at values from population regressions (a segment's inertia from
    body size, :data:`myoreflex.fit.pipeline.REGRESSION_PRIORS`); its intervals see only the noise.
    The optimum ``z*`` moves with the logs ``a`` of those values as (implicit function theorem on
    the stationarity of ``F``, Gauss-Newton cross term)::

        S = dz*/da = -covariance B,     B = J^T W G,

    with ``J = dr/dz`` (``jac``, ``(m, k)``), ``G = dr/da`` (``dr_dassumed``, ``(m, n_a)``) and
    ``W = diag(1 / sigma^2)``. Their errors ``a ~ N(a_0, diag(s^2))`` then add to the noise's
    covariance by the law of propagation of uncertainty (JCGM 100:2008, the GUM, section 5.1)::

        covariance + S diag(s^2) S^T.

    This is a sensitivity analysis of the fit as made (``a`` held fixed), not a refit: the data's own
    information about ``a`` is not used. Returns ``(covariance with the assumptions, S)``.

    One parameter and one assumed, both seen alike by four samples (``covariance = 1 / (4 + 1)``):

    >>> cov, shift = with_assumed(np.array([[0.2]]), np.ones((4, 1)), np.ones((4, 1)), 1.0, [0.5])
    >>> shift.round(3).tolist(), round(float(cov[0, 0]), 3)
    ([[-0.8]], 0.36)
    """
    sigma = np.asarray(sigma, dtype=float)
    weights = 1.0 / (sigma**2 if sigma.ndim else np.full(jac.shape[0], float(sigma) ** 2))
    shift = -covariance @ (jac.T @ (weights[:, None] * dr_dassumed))
    total = covariance + shift @ np.diag(np.asarray(prior_sd_log, dtype=float) ** 2) @ shift.T
    return 0.5 * (total + total.T), shift


def integrated_autocorrelation_time(residuals, *, c: float = 5.0) -> float:
    """``tau = 1 + 2 sum_{k=1}^{W} rho_k`` with Sokal's automatic window (smallest ``W >= c tau(W)``).

    The number of samples that carry the information of one independent sample (1 for white
    noise). Sokal A 1997, *Monte Carlo methods in statistical mechanics: foundations and new
    algorithms*, in Functional Integration (Springer), sec. 3; the estimator of emcee (Foreman-Mackey
    et al. 2013). Falls back to the AR(1) value ``(1 + rho_1) / (1 - rho_1)`` when no window
    satisfies the rule (too short a series); clipped to ``[1, n]``.
    """
    e = np.asarray(residuals, dtype=float)
    e = e - e.mean()
    n = e.size
    if n < 3 or not np.any(e):
        return 1.0
    spectrum = np.fft.rfft(e, 2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    acf = acf / acf[0]
    tau = 1.0 + 2.0 * np.cumsum(acf[1:])
    windows = np.arange(1, n)
    ok = windows >= c * tau
    if ok.any():
        value = float(tau[np.argmax(ok)])
    else:
        rho = min(max(float(acf[1]), 0.0), 0.999)
        value = (1.0 + rho) / (1.0 - rho)
    return float(min(max(value, 1.0), n))


def _as_words(values) -> np.ndarray:
    """float64 values as their two uint32 words (last axis): ``jax.lax.bitcast_convert_type`` restores them."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    return values.view(np.uint32).reshape(values.shape + (2,))


def _from_words(words) -> np.ndarray:
    """Inverse of :func:`_as_words` (the words of ``jax.lax.bitcast_convert_type(x, uint32)``)."""
    words = np.ascontiguousarray(words, dtype=np.uint32)
    return words.view(np.float64).reshape(words.shape[:-1])


def nuts(
    problem: Problem,
    laplace_fit: Laplace,
    sigma: float,
    *,
    num_warmup: int,
    num_samples: int,
    num_chains: int,
    seed: int,
    max_tree_depth: int = 4,
    step_size: float | None = None,
):
    """Draw from ``exp(-F(z))`` with NumPyro's NUTS, chains vectorised into one batched model call.

    The model is evaluated on the host through :func:`jax.pure_callback` by ``problem.evaluate``,
    the very function compiled for the optimiser, so the sampler adds no compilation of the
    simulation; the gradient is the exact forward-mode ``J^T R``. The chains start around the
    optimum (draws from the Laplace approximation) with the Laplace covariance as the (dense) inverse mass
    matrix, kept fixed: short warmups estimate a dense matrix poorly. In that metric a near-Gaussian
    posterior is close to a standard normal, for which leapfrog is stable up to a step of 2 and a
    step of 1 keeps the acceptance high in a few dimensions (Neal 2011, Handbook of MCMC ch. 5), so
    the step is fixed at ``step_size`` (:data:`NUTS_STEP_SIZE`) and the warm-up only burns in; the
    divergence count, r-hat and ESS returned show when that assumption fails (then pass
    ``step_size=None`` to adapt it by dual averaging, Hoffman & Gelman 2014, with a longer warm-up).
    ``max_tree_depth=4`` caps a trajectory at 15 leapfrog steps, ample here (about 3 to 5 taken).

    Returns the draws ``(num_chains, num_samples, k)`` in ``z`` and a diagnostics dict (``r_hat``,
    ``ess``, ``divergences``, ``mean_leapfrog_steps``; per draw, shape ``(num_chains, num_samples)``:
    ``diverging`` and ``n_steps``, the leapfrog steps taken).
    """
    from myoreflex.errors import require_extra

    numpyro = require_extra("numpyro", "fit")
    from numpyro.diagnostics import effective_sample_size, split_gelman_rubin
    from numpyro.infer import MCMC, NUTS

    from myoreflex.runtime import sampler_device

    k = laplace_fit.z.size
    # The sampler's loop runs on the spare device; its host calls then split each batch of chains
    # over the cores with the optimiser's compiled model (no second compilation). Without a spare,
    # a split call would wait on the device that the callback holds: evaluate on one core instead.
    spare = sampler_device()

    def host(words):
        z = _from_words(words)
        flat = z.reshape(-1, k)
        r, jac = problem.evaluate(flat, across_cores=spare is not None)
        big_r, big_j = problem.augmented(flat, r, jac, sigma)
        value = half_sum_of_squares(big_r)
        grad = np.einsum("bmi,bm->bi", big_j, big_r)
        bad = ~np.isfinite(value) | ~np.all(np.isfinite(grad), axis=-1)
        value = np.where(bad, np.inf, value)
        grad = np.where(bad[:, None], 0.0, grad)
        return _as_words(value.reshape(z.shape[:-1])), _as_words(grad.reshape(z.shape))

    def call(z):
        # The callback's inputs and outputs travel as uint32 word pairs: JAX converts float64 to
        # float32 on the way in and out of a callback when the thread that runs it (XLA's, not the
        # caller's) is not in float64 mode, and myoreflex's float64 is thread-local (runtime.py).
        shapes = (jax.ShapeDtypeStruct(z.shape[:-1] + (2,), jnp.uint32),
                  jax.ShapeDtypeStruct(z.shape + (2,), jnp.uint32))
        words = jax.lax.bitcast_convert_type(z, jnp.uint32)
        value, grad = jax.pure_callback(host, shapes, words, vmap_method="expand_dims")
        return jax.lax.bitcast_convert_type(value, jnp.float64), jax.lax.bitcast_convert_type(grad, jnp.float64)

    @jax.custom_vjp
    def potential(z):
        return call(z)[0]

    def potential_fwd(z):
        value, grad = call(z)
        return value, grad

    def potential_bwd(grad, cotangent):
        return (cotangent * grad,)

    potential.defvjp(potential_fwd, potential_bwd)

    kernel = NUTS(
        potential_fn=potential,
        inverse_mass_matrix=jnp.asarray(laplace_fit.covariance),
        dense_mass=True,
        adapt_mass_matrix=False,
        adapt_step_size=step_size is None,
        step_size=0.7 if step_size is None else float(step_size),
        max_tree_depth=max_tree_depth,
        target_accept_prob=0.8,
    )
    mcmc = MCMC(
        kernel,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        chain_method="vectorized",
        progress_bar=sys.stderr.isatty(),  # a bar on the terminal (tens of seconds of sampling), silent elsewhere
    )
    rng = np.random.default_rng(seed)
    chol = np.linalg.cholesky(laplace_fit.covariance)
    init = laplace_fit.z + rng.standard_normal((num_chains, k)) @ chol.T
    key, init = jax.random.PRNGKey(seed), jnp.asarray(init)
    if spare is not None:  # committed inputs pin the sampler's jitted loop to the spare device
        key, init = jax.device_put((key, init), spare)
    mcmc.run(key, init_params=init, extra_fields=("diverging", "num_steps"))
    draws = np.asarray(mcmc.get_samples(group_by_chain=True))
    extra = mcmc.get_extra_fields(group_by_chain=True)
    diverging = np.asarray(extra["diverging"])
    leapfrogs = np.asarray(extra["num_steps"])
    r_hat = np.asarray(split_gelman_rubin(draws)) if num_chains > 1 else np.full(k, np.nan)
    ess = np.asarray(effective_sample_size(draws))
    del numpyro
    return draws, {
        "r_hat": r_hat,
        "ess": ess,
        "divergences": int(diverging.sum()),
        "mean_leapfrog_steps": float(leapfrogs.mean()),
        "diverging": diverging.astype(bool),
        "n_steps": leapfrogs.astype(np.int64),
    }


# ---------------------------------------------------------------------------------------------
# What every fit shares: methods, bounds, batched evaluation, the noise model and the pipeline
# (screen starts -> Levenberg-Marquardt -> noise estimate -> Laplace [-> NUTS]) of :func:`estimate`.


@dataclasses.dataclass(frozen=True)
class Method:
    """An uncertainty method of the fit and its reference."""

    name: str
    reference: str


METHODS = {
    "map": Method(
        "map", "maximum a posteriori by Levenberg-Marquardt; Laplace approximation (MacKay 2003, ch. 27)"
    ),
    "nuts": Method(
        "nuts", "No-U-Turn sampler (Hoffman & Gelman 2014 JMLR 15:1593) in NumPyro (Phan et al. 2019)"
    ),
}

START_SPREAD_Z = 0.7
"""sd (unconstrained units) of the extra starts around ``params0``: about a factor 2 for small values."""
MIN_BATCH = 8
"""Points per compiled model call: on a CPU a batch of 8 simulations costs about as much as one of 4
(the scan is overhead-bound), so screening, Hessian and NUTS chains use 8 at a time."""
SCREEN = 2
"""Compiled batches of candidate starts screened by their cost before the optimiser starts."""
OPTIMISER = "Levenberg-Marquardt (Madsen, Nielsen & Tingleff 2004, Alg. 3.16), forward-mode JAX Jacobians"


@dataclasses.dataclass(frozen=True)
class FitSettings:
    """How a fit estimates, the same for every fit model: method, starts, seed, noise, NUTS settings.

    Parameters
    ----------
    method : ``"map"`` (maximum a posteriori by Levenberg-Marquardt, Laplace intervals) or
        ``"nuts"`` (adds the posterior by NUTS, ``fit`` extra; ``ci95`` then comes from its draws).
    starts : optimiser starts: ``params0`` and the ``starts - 1`` best of the screened draws around it.
    seed : seed of the screened starts and of the NUTS chains.
    noise_sd : channel label -> the noise sd of that channel's residuals, fixed (SI: the angle in
        rad, ``{"angle": 1 * DEG}``; a stretch's ``"torque_Nm"`` in N m, its ``"emg_1"`` or
        ``"emg_V"`` in the EMG's unit). A channel not named has its sd estimated from the
        residuals at the optimum, the intervals widened by the residuals' integrated
        autocorrelation time (:meth:`NoiseModel.estimate`). A model's channels are its
        ``Prepared.channels`` (:mod:`myoreflex.fit.pipeline`).
    num_warmup, num_samples, num_chains : NUTS burn-in and draws per chain, and chains (run
        vectorised: 8 at the cost of about 4 on a CPU). The step is fixed in the Laplace metric
        (:data:`NUTS_STEP_SIZE`); each leapfrog step is one batched simulation with its Jacobian.
    profile : free parameters whose profile likelihood to compute after the fit (:func:`profile`;
        each costs about one more optimisation: 7 grid points in one batched run). A profile that
        stays flat on both sides marks its parameter not identified.
    assumed_sd : held values known only to a spread: a parameter path, or ``"body_mass"`` /
        ``"height"`` (the body the preset was scaled to, :func:`myoreflex.subjects.rescaled_body`)
        -> the sd of its log, or ``(sd, source)``. Their errors are propagated to
        ``ci95_with_assumptions`` (:func:`myoreflex.fit.pipeline.assumed_effects`), beside the
        regression priors' (the shank's inertia, 20 %), which a name here replaces; a free
        parameter cannot be named.

    Examples
    --------
    >>> from myoreflex.units import DEG
    >>> FitSettings(method="nuts", noise_sd={"angle": 1 * DEG}).batch
    8
    """

    method: str = "map"
    starts: int = 4
    seed: int = 0
    noise_sd: Mapping[str, float] = dataclasses.field(default_factory=dict)
    num_warmup: int = 10
    num_samples: int = 40
    num_chains: int = 8
    profile: Sequence[str] = ()
    assumed_sd: Mapping[str, float | tuple[float, str]] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        profile = (self.profile,) if isinstance(self.profile, str) else tuple(self.profile)
        if not all(isinstance(name, str) for name in profile) or len(set(profile)) != len(profile):
            raise ParameterError(describe("profile", "distinct parameter paths", repr(self.profile)))
        object.__setattr__(self, "profile", profile)
        if self.method not in METHODS:
            raise ParameterError(describe("method", f"one of {', '.join(METHODS)}", repr(self.method)))
        for name in ("starts", "num_warmup", "num_samples", "num_chains"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ParameterError(describe(name, "an integer >= 1", repr(value)))
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ParameterError(describe("seed", "an integer >= 0", repr(self.seed)))
        if not isinstance(self.noise_sd, Mapping):
            raise ParameterError(describe("noise_sd", "a mapping channel label -> sd", repr(self.noise_sd)))
        for label, sd in self.noise_sd.items():
            if not (isinstance(sd, (int, float, np.floating)) and sd > 0):
                raise ParameterError(describe(f"noise_sd[{label!r}]", "a positive sd (SI)", repr(sd)))
        object.__setattr__(self, "noise_sd", types.MappingProxyType(dict(self.noise_sd)))
        if not isinstance(self.assumed_sd, Mapping):
            raise ParameterError(describe("assumed_sd", "a mapping name -> sd of its log", repr(self.assumed_sd)))
        assumed = {}
        for name, entry in self.assumed_sd.items():
            sd, source = entry if isinstance(entry, tuple) else (entry, "given (FitSettings.assumed_sd)")
            if not (isinstance(name, str) and isinstance(sd, (int, float, np.floating)) and 0 < sd < 5
                    and isinstance(source, str)):
                raise ParameterError(describe(f"assumed_sd[{name!r}]", "a sd of the log in (0, 5), or (sd, source)",
                                              repr(entry)))
            assumed[name] = (float(sd), source)
        object.__setattr__(self, "assumed_sd", types.MappingProxyType(assumed))

    @property
    def batch(self) -> int:
        """Points per compiled model call: :data:`MIN_BATCH`, or more for many starts or NUTS chains."""
        return max(MIN_BATCH, int(self.starts), int(self.num_chains) if self.method == "nuts" else 1)

    def record(self) -> dict:
        """The settings as plain types for :attr:`FitResult.settings` (NUTS settings only when sampling)."""
        out = {"method": self.method, "method_reference": METHODS[self.method].reference,
               "optimiser": OPTIMISER, "starts": int(self.starts)}
        if self.method == "nuts":
            out.update(num_warmup=int(self.num_warmup), num_samples=int(self.num_samples),
                       num_chains=int(self.num_chains))
        if self.profile:
            out["profile"] = list(self.profile)
        if self.assumed_sd:
            out["assumed_sd"] = {name: sd for name, (sd, _) in self.assumed_sd.items()}
        return out


DEFAULT_SETTINGS = FitSettings()
"""The settings every fit function takes by default (frozen: one instance serves every call)."""


def bounds_of(tree, free: Sequence[str], overrides=None) -> tuple[np.ndarray, np.ndarray]:
    """Bounds ``(low, high)`` of the ``free`` paths of a parameter tree: its metadata, or ``overrides``.

    An unknown path raises :class:`~myoreflex.errors.ParameterError` listing close matches; a
    structural choice (not a float parameter) or ``low >= high`` is refused.
    """
    from myoreflex.params import get_param, parameter_table

    table = {row.path: row for row in parameter_table(tree)}
    low, high = [], []
    for path in free:
        get_param(tree, path)  # unknown paths: ParameterError listing close matches
        if path not in table:
            raise ParameterError(
                describe(f"free parameter `{path}`", "a physical (float) parameter", "a choice")
            )
        lo, hi = (overrides or {}).get(path, table[path].bounds)
        if not hi > lo:
            raise ParameterError(describe(f"bounds of `{path}`", "low < high", (lo, hi)))
        low.append(float(lo))
        high.append(float(hi))
    return np.array(low), np.array(high)


NUTS_STEP_SIZE = 1.0
"""Fixed leapfrog step of the NUTS sampler in the Laplace metric (see :func:`nuts`). On the
pendulum fit of benchmarks/fit_recovery.py: 0 divergences, r-hat <= 1.0, ESS 550-940 from 320 draws,
intervals within 3 % of the adapted sampler's; 59-69 s (8 chains x (10 + 40)) instead of 222-340 s
for the adapted run (8 chains x (50 + 50)); since the sampler's model calls use both cores, about
25 s (benchmarks/RESULTS.md)."""


@runtime.jit(static_argnames=("residuals", "free"))
def model_jacobians(z, base, data, low, high, bounded, *, residuals, free):
    """A fit model's residuals and ``dr/dz`` for a batch of unconstrained points ``z`` ``(n, k)``.

    The one compiled function of every fit (one compilation per model shape and free set). Each
    row of ``z`` is mapped to the bounds (:func:`to_constrained`); its first ``len(free)`` values are
    set at the ``free`` paths of the parameter tree ``base``, the rest are the nuisance values; the
    residuals are ``residuals(params, nuisance, data)`` (the model's pure JAX function, static:
    hashable), differentiated by forward mode (``jacfwd``, ``k`` tangents through the simulation)
    and mapped over the batch (``vmap``). Returns ``(r, dr/dz)`` of shapes ``(n, m)``, ``(n, m, k)``.
    """
    from myoreflex.params import with_overrides

    n_free = len(free)

    def residual(zrow):
        x = to_constrained(zrow, low, high, bounded)
        params = with_overrides(base, dict(zip(free, x[:n_free])), check=False)
        return residuals(params, x[n_free:], data)

    def one(zrow):
        jac, r = jax.jacfwd(lambda q: (residual(q), residual(q)), has_aux=True)(zrow)
        return r, jac

    return jax.vmap(one)(z)


def batched_evaluator(compiled: Callable, batch: int, arrays: dict, statics: dict):
    """``evaluate(z)`` for any number of points from ``compiled(z, **arrays, **statics) -> (r, dr/dz)``.

    The points go in chunks of the compiled batch size (the last one padded by repeating its last
    point), so every call reuses one compilation. ``across_cores`` splits each chunk over the CPU
    compute devices (:func:`myoreflex.simulation.shard_batch`); the NUTS sampler turns it off only
    when there is no spare device for its loop (a split call from a host callback that holds a
    compute device waits on it: measured 1.5-2x slower).
    """
    from myoreflex.simulation import pad_members, shard_batch

    def evaluate(z, *, across_cores: bool = True):
        z = np.atleast_2d(np.asarray(z, dtype=float))
        n = z.shape[0]
        rs, js = [], []
        for first in range(0, n, batch):
            chunk = z[first : first + batch]
            padded = pad_members(chunk, batch)
            # A host callback runs under default_device(cpu:0) (JAX sets it): reset it, so that the
            # sampler's calls hit the optimiser's compilation instead of tracing it again.
            with jax.default_device(None):
                r, jac = compiled(shard_batch(padded, batch) if across_cores else padded, **arrays, **statics)
            rs.append(np.asarray(r)[: chunk.shape[0]])
            js.append(np.asarray(jac)[: chunk.shape[0]])
        return np.concatenate(rs), np.concatenate(js)

    return evaluate


@dataclasses.dataclass(frozen=True)
class NoiseModel:
    """The measurement noise of the data residuals: one sd per channel, fixed or estimated.

    ``group[i]`` is the channel of data residual ``i`` (-1 for padding, whose residuals are 0);
    ``segment[i]`` the contiguous series it belongs to (one per trial and channel), over which the
    autocorrelation time is measured (-1 for padding). ``fixed[c]`` is channel ``c``'s sd in the
    residuals' unit, or None to estimate it; ``start[c]`` the sd used until the first estimate.
    """

    group: np.ndarray
    segment: np.ndarray
    labels: tuple[str, ...]
    fixed: tuple[float | None, ...]
    start: tuple[float, ...]

    @property
    def estimated(self) -> bool:
        return any(sd is None for sd in self.fixed)

    def initial(self) -> np.ndarray:
        """Per-channel sd before any estimate: the fixed one, else the starting guess."""
        return np.array([s if f is None else f for f, s in zip(self.fixed, self.start)], dtype=float)

    def sigma(self, sd) -> np.ndarray:
        """Per-residual sd from the per-channel ``sd`` (1 on padding)."""
        sd = np.asarray(sd, dtype=float)
        return np.where(self.group >= 0, sd[np.maximum(self.group, 0)], 1.0)

    def estimate(self, residuals, n_free: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(sigma_eff, sigma, tau)`` per channel from the residuals at the optimum.

        The noise sd for the likelihood, corrected for autocorrelation. Per channel ``c``:
        ``sigma_c^2 = RSS_c / (n_c - k n_c / n)`` (the ``k`` fitted values' degrees of freedom
        shared among channels in proportion to their samples; ``RSS / (n - k)`` for one channel).
        Autocorrelated residuals (a model that misses a recording systematically) carry the
        information of only ``n / tau`` independent samples, ``tau`` the integrated autocorrelation
        time (:func:`integrated_autocorrelation_time`; Bayley & Hammersley 1946 for the effective
        number of observations); a white-noise likelihood reproduces that with
        ``sigma_eff^2 = tau sigma^2``. ``tau_c`` is the sample-weighted mean over the channel's
        series, ``sigma_eff,c = sigma_c sqrt(tau_c)``. A fixed channel keeps its sd, with ``tau = 1``.
        """
        e = np.asarray(residuals, dtype=float)
        n = int(np.sum(self.group >= 0))
        effective, white, tau = [], [], []
        for c, fixed in enumerate(self.fixed):
            if fixed is not None:
                effective.append(float(fixed))
                white.append(float(fixed))
                tau.append(1.0)
                continue
            mask = self.group == c
            values = e[mask]
            sd = math.sqrt(float(np.sum(values**2)) / max(values.size - n_free * values.size / n, 1.0))
            weighted = sum(
                np.sum(self.segment == s) * integrated_autocorrelation_time(e[self.segment == s])
                for s in np.unique(self.segment[mask])
            )
            t = float(weighted / values.size)
            white.append(sd)
            tau.append(t)
            effective.append(sd * math.sqrt(t))
        return np.array(effective), np.array(white), np.array(tau)


@dataclasses.dataclass(frozen=True)
class Estimate:
    """What :func:`estimate` found: point estimate, uncertainty, and how it was reached.

    ``values`` (SI) and ``z`` at the maximum a posteriori; ``ci95``, ``sd`` from the Laplace
    approximation (or the NUTS draws); ``residuals`` the data residuals there (model - data, SI,
    padding included); ``noise_sd`` the per-channel sd used for the intervals,
    ``white_noise_sd`` and ``autocorrelation_time`` its parts; ``history`` one entry per start
    (and per noise refinement). NUTS only: ``samples`` name -> every draw (chains one after the
    other), ``chains`` name -> the same draws by chain, shape ``(num_chains, num_samples)``, and
    ``sample_stats`` (``diverging``, ``n_steps``) of that shape.
    """

    names: tuple[str, ...]
    values: np.ndarray
    z: np.ndarray
    ci95: dict
    laplace_ci95: dict
    sd: dict
    correlations: np.ndarray
    warnings: tuple[str, ...]
    converged: bool
    residuals: np.ndarray
    noise_sd: np.ndarray
    white_noise_sd: np.ndarray
    autocorrelation_time: np.ndarray
    samples: dict | None
    diagnostics: dict
    history: tuple
    screened_candidates: int
    identification: dict = dataclasses.field(default_factory=dict)  # name -> verdict (:func:`identification`)
    sigma: np.ndarray | None = None  # per-residual noise sd of the intervals (profiles use it)
    covariance: np.ndarray | None = None  # the Laplace covariance in z
    chains: dict | None = None  # name -> draws (chain, draw), NUTS only
    sample_stats: dict | None = None  # diverging, n_steps: (chain, draw), NUTS only
    jacobian: np.ndarray | None = None  # dr/dz of the data residuals at ``z`` (what assumptions propagate through)


def estimate(
    problem: Problem,
    noise: NoiseModel,
    settings: FitSettings,
    *,
    z_first,
    spread,
    checked: Sequence[bool],
    what: str,
    started: float | None = None,
) -> Estimate:
    """The estimation shared by every model: starts, optimum, noise, Laplace, optionally NUTS.

    1. Screen ``z_first`` and ``SCREEN * batch - 1`` draws ``z_first + spread * N(0, 1)``
       (deterministic from ``settings.seed``; ``batch`` is :attr:`FitSettings.batch`) by their
       cost; optimise from the best ``settings.starts`` of them (:func:`levenberg_marquardt`).
    2. When a channel's noise is estimated, the optimum uses the white-noise sd of its residuals
       (``RSS / (n - k)``), re-optimised until it settles (within 5 %, at most 3 times); only the
       intervals use the autocorrelation-corrected sd (:meth:`NoiseModel.estimate`), so that a
       poor fit cannot hand the optimum to the prior.
    3. Laplace approximation at the optimum (:func:`laplace`); intervals mapped through the
       transform, ``sd`` by the delta method ``dx/dz = (hi - lo) s (1 - s)``; identifiability of the
       ``checked`` parameters (:func:`identifiability`).
    4. ``settings.method == "nuts"``: posterior draws (:func:`nuts`); ``ci95`` and ``sd`` from them.

    ``what`` names the fit in a :class:`~myoreflex.errors.FitFailed` raised when no start gives a
    finite simulation. ``started`` is the caller's ``time.perf_counter()`` at its start (timings).
    """
    import time

    from myoreflex.errors import FitFailed

    clock = time.perf_counter() if started is None else started
    method, seed, batch = settings.method, settings.seed, settings.batch
    names = problem.names
    k = len(names)
    z_first = np.asarray(z_first, dtype=float)
    current = noise.initial()
    optimised_sd = current  # the noise sd of the last optimisation: its gradient vanishes at its optimum
    sigma = noise.sigma(current)
    rng = np.random.default_rng(seed)
    candidates = z_first + rng.standard_normal((SCREEN * batch, k)) * np.asarray(spread, dtype=float)
    candidates[0] = z_first
    r, jac = problem.evaluate(candidates)
    screen_cost = half_sum_of_squares(problem.augmented(candidates, r, jac, sigma)[0])
    order = np.argsort(screen_cost, kind="stable")[: int(settings.starts)]
    z_starts = candidates[order]
    optimum = levenberg_marquardt(problem, z_starts, sigma, initial=(r[order], jac[order]))
    if not np.isfinite(optimum.cost).any():
        raise FitFailed(
            describe(
                what,
                "a finite simulation at one start at least",
                "NaN or inf at every start",
                "check params0 and the free parameters' bounds",
            )
        )
    best = int(np.argmin(optimum.cost))
    z_best, best_converged, best_reason = optimum.z[best], bool(optimum.converged[best]), optimum.reason[best]
    r_best, jac_best = optimum.residuals[best], optimum.jacobian[best]
    refinements = []
    if noise.estimated:
        for _ in range(3):
            _, white, _ = noise.estimate(r_best, k)
            settled = bool(np.all(np.abs(white / current - 1.0) < 0.05))
            current = white
            if settled:
                break
            optimised_sd = current
            refined = levenberg_marquardt(
                problem, z_best[None], noise.sigma(current), initial=(r_best[None], jac_best[None])
            )
            z_best, best_converged, best_reason = refined.z[0], bool(refined.converged[0]), refined.reason[0]
            r_best, jac_best = refined.residuals[0], refined.jacobian[0]
            refinements.append(
                {
                    "noise_sd": dict(zip(noise.labels, map(float, current))),
                    "iterations": int(refined.iterations[0]),
                    "reason": refined.reason[0],
                }
            )
        effective, white, tau = noise.estimate(r_best, k)
    else:
        effective, white, tau = current, current, np.ones(len(current))
    fitted_at = time.perf_counter()
    sigma = noise.sigma(effective)
    lap = laplace(problem, z_best, sigma)
    sd_z = np.sqrt(np.diag(lap.covariance))
    values = problem.values(z_best)
    laplace_ci = {
        name: (float(lo), float(hi))
        for name, lo, hi in zip(
            names, problem.values(z_best - Z_95 * sd_z), problem.values(z_best + Z_95 * sd_z)
        )
    }
    slope = constrained_slope(z_best, problem.low, problem.high, problem.bounded)  # the delta method
    sd = {name: float(s) for name, s in zip(names, slope * sd_z)}
    correlations = correlation_matrix(lap.covariance)
    # The optimum minimises F with the white-noise sd (step 2), so its gradient is taken there; the
    # distance it still promises is measured in the intervals' metric (the Laplace Hessian).
    big_r, big_j = problem.augmented(z_best[None], r_best[None], jac_best[None], noise.sigma(optimised_sd))
    grad = big_j[0].T @ big_r[0]
    step_left = np.linalg.lstsq(big_j[0].T @ big_j[0], grad, rcond=None)[0]
    test = convergence(z_starts[best], z_best, step_left, lap.hessian, lap.positive_definite,
                       names=names, checked=checked, z_first=z_first, as_step=True)
    verdicts = identification(problem, z_best, lap.covariance, checked=checked, unmoved=test["unmoved"])
    messages = identifiability(problem, z_best, lap.covariance, checked=checked, unmoved=test["unmoved"])
    laplace_at = time.perf_counter()

    converged = test["converged"]
    ci95, samples, diagnostics, chains, sample_stats = laplace_ci, None, {}, None, None
    if method == "nuts":
        draws, nuts_diagnostics = nuts(
            problem,
            lap,
            sigma,
            num_warmup=settings.num_warmup,
            num_samples=settings.num_samples,
            num_chains=settings.num_chains,
            seed=seed,
            step_size=NUTS_STEP_SIZE,
        )
        x_draws = problem.values(draws.reshape(-1, k))  # chain after chain
        samples = {name: x_draws[:, j] for j, name in enumerate(names)}
        chains = {name: x_draws[:, j].reshape(draws.shape[:2]) for j, name in enumerate(names)}
        sample_stats = {key: nuts_diagnostics[key] for key in ("diverging", "n_steps")}
        ci95 = {
            name: (float(np.percentile(x_draws[:, j], 2.5)), float(np.percentile(x_draws[:, j], 97.5)))
            for j, name in enumerate(names)
        }
        sd = {name: float(np.std(x_draws[:, j], ddof=1)) for j, name in enumerate(names)}
        r_hat = nuts_diagnostics["r_hat"]
        converged = converged and nuts_diagnostics["divergences"] == 0 and bool(np.all(~(r_hat >= 1.1)))
        diagnostics = {
            "r_hat": dict(zip(names, map(float, r_hat))),
            "ess": dict(zip(names, map(float, nuts_diagnostics["ess"]))),
            "divergences": nuts_diagnostics["divergences"],
            "mean_leapfrog_steps": nuts_diagnostics["mean_leapfrog_steps"],
        }
    agreeing = int(np.sum(np.isfinite(optimum.cost) & (optimum.cost <= optimum.cost[best] + 0.5)))
    done = time.perf_counter()
    diagnostics = {
        **diagnostics,
        "best_start": best,
        "reason": best_reason,
        "optimiser_converged": best_converged,
        "convergence": {key: value for key, value in test.items() if key != "converged"},
        "starts_at_best": agreeing,
        "hessian": lap.hessian_method,
        "elapsed_s": {
            "point_estimate": fitted_at - clock,
            "laplace": laplace_at - fitted_at,
            "total": done - clock,
        },
    }
    history = tuple(
        {
            "start": dict(zip(names, map(float, problem.values(z_starts[b])))),
            "end": dict(zip(names, map(float, problem.values(optimum.z[b])))),
            "costs": optimum.costs[b],
            "iterations": int(optimum.iterations[b]),
            "reason": optimum.reason[b],
            "best": b == best,
        }
        for b in range(len(z_starts))
    ) + tuple({"refinement": item} for item in refinements)
    return Estimate(
        names=tuple(names), values=values, z=z_best, ci95=ci95, laplace_ci95=laplace_ci, sd=sd,
        correlations=correlations, warnings=tuple(messages), converged=bool(converged), residuals=r_best,
        noise_sd=np.asarray(effective, dtype=float), white_noise_sd=np.asarray(white, dtype=float),
        autocorrelation_time=np.asarray(tau, dtype=float), samples=samples, diagnostics=diagnostics,
        history=history, screened_candidates=int(candidates.shape[0]), identification=verdicts,
        sigma=sigma, covariance=lap.covariance, chains=chains, sample_stats=sample_stats, jacobian=jac_best,
    )
