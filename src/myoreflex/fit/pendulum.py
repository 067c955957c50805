"""Fit the reflex-loop model, or the passive pendulum of De Groote et al. 2018, to a pendulum test.

The simulation is aligned to the recording's release. The leg is modelled as held at rest at
angle ``q_0`` until the release time ``t_r`` and swinging freely after it; both are nuisance
parameters fitted with the model's (normal priors around the measured release angle and the
detected release, :func:`align_pendulum`), because a single noisy sample fixes neither well and
a recording may start after the leg is already moving. The residuals are::

    r_i = q_model(t_i - t_r; theta, q_0) - q_recorded(t_i),   t_r,det - 0.25 s <= t_i <= t_r,det + window_s,

where ``q_model`` is the simulated knee angle (cubic Hermite interpolation of the simulated angle
and velocity, so residuals are smooth in ``t_r``; ``q_0`` before the release) and ``theta`` the
free parameters. Everything else (priors, optimiser, Laplace, NUTS) is :mod:`myoreflex.fit.core`.

The passive model (``fit_passive_pendulum``) is the torque-driven shank of De Groote et al. 2018
and its teaching version (ANCHORS 3.3), in myoreflex's sign convention (knee flexion positive)::

    I q'' = m g l_c cos(q) - T_b - B q'  (- K (q - q_n) when a stiffness is freed),

which is :func:`myoreflex.physiology.limb.angular_acceleration` with the range-of-motion limits
switched off (:func:`passive_limb`). The tutorial's baseline torque is the negative of ``T_b`` here.

References: De Groote F, Blum KP, Horslen BC, Ting LH 2018 PLOS ONE 13:e0205763; Bajd & Bowman
1982 J Biomed Eng 4:90 (release and start angle of the pendulum test).
"""

from __future__ import annotations

import dataclasses
import math
import time as _time
import warnings
from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from scipy.signal import savgol_filter

from myoreflex import model, runtime
from myoreflex.errors import ParameterError, ProtocolError, RecordingError, describe
from myoreflex.fit import core
from myoreflex.fit.result import FitResult, FittedTrace, NotIdentifiedWarning
from myoreflex.params import get_param, with_overrides
from myoreflex.physiology.limb import LimbParams, angular_acceleration
from myoreflex.simulation import run_loop
from myoreflex.trial import Trial
from myoreflex.units import DEG

RELEASE_VELOCITY = 20 * DEG
"""rad/s: the swing has started when the smoothed velocity exceeds this (ANCHORS 4.1 / 4.3)."""
RELEASE_SAMPLES = 3
"""Consecutive samples above :data:`RELEASE_VELOCITY` that mark the release (robust to noise)."""
SMOOTHING_S = 0.15
"""s: Savitzky-Golay window (quadratic) used only to find the release, never for the residuals."""
PAD = 128
"""The residual vector is padded to a multiple of this, so windows of similar length share a compilation."""
DEFAULT_FREE = ("motoneuron.gain", "motoneuron.threshold")
DEFAULT_PASSIVE_FREE = ("baseline_torque", "damping")
NUISANCE = ("initial_angle", "release_time")
"""Nuisance parameters always fitted: the angle (rad) the leg is released from, at rest, and when (s)."""
RELEASE_ROOM_S = 0.3
"""s: extra simulated time so the release time can move without running off the simulated swing."""
METHODS = core.METHODS


# ---------------------------------------------------------------------------------------------
# Aligning the recording


@dataclasses.dataclass(frozen=True)
class PendulumWindow:
    """The part of a recording a pendulum fit compares with the model (SI units).

    ``time`` is absolute recording time (s) from ``hold_s`` before the detected release to
    ``window_s`` after it; ``angle`` is the raw recorded angle there (rad). ``initial_angle``
    (rad) and ``release_time_s`` are the measured starting values of the two nuisance parameters.
    """

    time: np.ndarray
    angle: np.ndarray
    initial_angle: float
    release_time_s: float
    window_s: float
    hold_s: float
    source: str
    channel: str

    def describe(self) -> dict:
        """Plain-type summary for :attr:`FitResult.data`."""
        rate = 1.0 / float(np.median(np.diff(self.time))) if self.time.size > 1 else float("nan")
        return {
            "source": self.source,
            "channel": self.channel,
            "n_samples": int(self.time.size),
            "rate_hz": rate,
            "from_s": float(self.time[0]),
            "to_s": float(self.time[-1]),
            "window_s": float(self.window_s),
            "detected_release_time_s": float(self.release_time_s),
            "measured_initial_angle_deg": float(self.initial_angle / DEG),
        }


def align_pendulum(
    trial: Trial, *, window_s: float | None = 5.0, hold_s: float = 0.25, channel: str = "angle"
) -> PendulumWindow:
    """Find the release in a pendulum recording and cut the samples the fit compares.

    The angle is smoothed (Savitzky-Golay, quadratic, :data:`SMOOTHING_S` window) only to find
    the release: the first of :data:`RELEASE_SAMPLES` consecutive samples whose velocity exceeds
    :data:`RELEASE_VELOCITY` in the swing direction (towards the final rest). The measured
    release angle is the extreme of the smoothed angle within 0.2 s before it (the first sample
    when the recording starts in motion). The window runs from ``hold_s`` before the release
    (where the held leg fixes the release angle) to ``window_s`` after it (None: the end).
    """
    source = str(trial.metadata.get("source", "trial"))
    where = f"`{source}`, channel `{channel}`"
    angle = np.asarray(trial[channel], dtype=float)
    t = trial.time
    if angle.ndim != 1 or not np.all(np.isfinite(angle)):
        raise RecordingError(describe(where, "a 1-D finite knee angle (rad)", "NaN, inf or several columns"))
    if trial.duration < 1.0:
        raise RecordingError(describe(where, "a pendulum swing of at least 1 s", f"{trial.duration:.2f} s"))
    step = float(np.median(np.diff(t)))
    width = max(5, round(SMOOTHING_S / step) | 1)  # odd, at least 5 samples
    width = min(width, angle.size if angle.size % 2 else angle.size - 1)
    smooth = savgol_filter(angle, width, 2, mode="interp")
    velocity = savgol_filter(angle, width, 2, deriv=1, delta=step, mode="interp")
    tail = t >= t[-1] - 0.5
    direction = np.sign(np.median(angle[tail]) - smooth[0]) or 1.0
    fast = direction * velocity > RELEASE_VELOCITY
    run = np.convolve(fast.astype(int), np.ones(RELEASE_SAMPLES, dtype=int), mode="valid") == RELEASE_SAMPLES
    if not run.any():
        raise RecordingError(describe(where, "a released leg (velocity above 20 deg/s)", "no swing"))
    release = int(np.argmax(run))
    before = np.flatnonzero((t >= t[release] - 0.2) & (t <= t[release]))
    start = int(before[np.argmin(direction * smooth[before])])
    t_release = float(t[release])
    end = t[-1] if window_s is None else t_release + window_s
    keep = (t >= t_release - hold_s) & (t <= end + 1e-9)
    if np.sum(t[keep] > t_release) < 10:
        raise RecordingError(
            describe(where, "at least 10 samples after the release", int(np.sum(t[keep] > t_release)))
        )
    return PendulumWindow(
        time=t[keep],
        angle=angle[keep],
        initial_angle=float(smooth[start]),
        release_time_s=t_release,
        window_s=float(end - t_release),
        hold_s=float(hold_s),
        source=source,
        channel=channel,
    )


# ---------------------------------------------------------------------------------------------
# Models: free values -> simulated angle and velocity on the grid k dt, k = 0..n_steps, after a
# release from rest at angle0.


def _full_model_swing(values, angle0, base, free, n_steps, dt):
    """The reflex loop released from rest at ``angle0``; every muscle state at rest there."""
    params = with_overrides(base, dict(zip(free, values)), check=False)
    zeros = jnp.zeros(n_steps)
    angles, velocities = run_loop(params, angle0, (zeros, zeros, zeros), dt,
                                  lambda obs: (obs.angle, obs.angular_velocity), prescribed=False)
    start = jnp.reshape(jnp.asarray(angle0, dtype=float), (1,))
    return jnp.concatenate([start, angles]), jnp.concatenate([jnp.zeros(1), velocities])


def _passive_swing(values, angle0, base, free, n_steps, dt):
    """``I q'' = m g l_c cos q + tau_passive``, semi-implicit Euler (as ``simulate_passive``)."""
    limb = with_overrides(base, dict(zip(free, values)), check=False)

    def one(state, _):
        angle, velocity = state
        velocity = velocity + dt * angular_acceleration(angle, velocity, 0.0, limb)
        angle = angle + dt * velocity
        return (angle, velocity), (angle, velocity)

    start = (jnp.asarray(angle0, dtype=float), jnp.zeros(()))
    _, (angles, velocities) = jax.lax.scan(one, start, None, length=n_steps)
    return (
        jnp.concatenate([jnp.reshape(start[0], (1,)), angles]),
        jnp.concatenate([jnp.zeros(1), velocities]),
    )


MODELS = {"full": _full_model_swing, "passive": _passive_swing}


def _hermite(s, dt, angles, velocities):
    """Cubic Hermite interpolation of the simulated swing at times ``s`` after the release.

    C1 in ``s`` (so the residuals are smooth in the release time); the held angle before the
    release (``s < 0``) and the last simulated angle after the end.
    """
    n = angles.shape[0] - 1
    x = jnp.clip(s / dt, 0.0, n - 1e-9)
    k = jnp.floor(x).astype(jnp.int32)
    u = x - k
    u2, u3 = u * u, u * u * u
    return (
        (2 * u3 - 3 * u2 + 1) * angles[k]
        + (u3 - 2 * u2 + u) * dt * velocities[k]
        + (-2 * u3 + 3 * u2) * angles[k + 1]
        + (u3 - u2) * dt * velocities[k + 1]
    )


@runtime.jit(static_argnames=("kind", "free", "n_steps", "dt"))
def _residuals_and_jacobians(
    z, base, times, observed, weight, low, high, bounded, *, kind, free, n_steps, dt
):
    """Residuals ``weight (q_model - q_observed)`` and ``d r / d z`` for a batch of points ``z``.

    The last two columns of ``z`` are the release angle (rad) and the release time (s).
    """
    simulate = MODELS[kind]

    def residual(zrow):
        x = jnp.where(bounded, low + (high - low) * jax.nn.sigmoid(zrow), zrow)
        angle0, release = x[len(free)], x[len(free) + 1]
        angles, velocities = simulate(x[: len(free)], angle0, base, free, n_steps, dt)
        return weight * (_hermite(times - release, dt, angles, velocities) - observed)

    def one(zrow):
        jac, r = jax.jacfwd(lambda q: (residual(q), residual(q)), has_aux=True)(zrow)
        return r, jac

    return jax.vmap(one)(z)


def _check_settings(dt, window_s, noise_sd_deg):
    if not dt > 0:
        raise ParameterError(describe("dt", "a step > 0 s", dt))
    if window_s is not None and not window_s > 0.5:
        raise ParameterError(
            describe("window_s", "more than 0.5 s (or None for the whole recording)", window_s)
        )
    if noise_sd_deg is not None and not noise_sd_deg > 0:
        raise ParameterError(
            describe("noise_sd_deg", "a positive sd in deg, or None to estimate it", noise_sd_deg)
        )


def _fit(
    kind,
    trial,
    base,
    free,
    *,
    method,
    starts,
    seed,
    noise_sd_deg,
    window_s,
    dt,
    bounds,
    initial_angle_sd_deg,
    release_time_sd_s,
    num_warmup,
    num_samples,
    num_chains,
    channel,
    reference,
) -> FitResult:
    clock = _time.perf_counter()
    free = tuple(free)
    core.check_choices(method, starts, free)
    _check_settings(dt, window_s, noise_sd_deg)
    window = align_pendulum(trial, window_s=window_s, channel=channel)
    low, high = core.bounds_of(base, free, bounds)
    x0 = np.array([float(get_param(base, path)) for path in free])
    names = free + NUISANCE
    n_free, k = len(free), len(free) + len(NUISANCE)
    bounded = np.array([True] * n_free + [False] * len(NUISANCE))
    problem_low = np.concatenate([low, np.zeros(len(NUISANCE))])
    problem_high = np.concatenate([high, np.ones(len(NUISANCE))])
    prior_mean = np.concatenate(
        [core.to_unconstrained(x0, low, high), [window.initial_angle, window.release_time_s]]
    )
    prior_sd = np.concatenate(
        [np.full(n_free, core.PRIOR_SD_Z), [initial_angle_sd_deg * DEG, release_time_sd_s]]
    )

    m = window.time.size
    padded = -(-m // PAD) * PAD
    times = np.concatenate([window.time, np.full(padded - m, window.time[-1])])
    observed = np.concatenate([window.angle, np.zeros(padded - m)])
    weight = np.concatenate([np.ones(m), np.zeros(padded - m)])
    # The swing is simulated from the release to the window's end, with room for the release time to move.
    n_steps = math.ceil((window.time[-1] - window.release_time_s + RELEASE_ROOM_S) / dt)
    arrays = {
        "base": base,
        "times": jnp.asarray(times),
        "observed": jnp.asarray(observed),
        "weight": jnp.asarray(weight),
        "low": jnp.asarray(problem_low),
        "high": jnp.asarray(problem_high),
        "bounded": jnp.asarray(bounded),
    }
    statics = {"kind": kind, "free": free, "n_steps": n_steps, "dt": float(dt)}
    batch = max(core.MIN_BATCH, int(starts), int(num_chains) if method == "nuts" else 1)
    problem = core.Problem(
        names=names,
        low=problem_low,
        high=problem_high,
        bounded=bounded,
        prior_mean=prior_mean,
        prior_sd=prior_sd,
        evaluate=core.batched_evaluator(_residuals_and_jacobians, batch, arrays, statics),
        n_data=m,
    )
    noise = core.NoiseModel.single(
        m, padded, "angle", None if noise_sd_deg is None else noise_sd_deg * DEG, 1.0 * DEG
    )
    # Starts: params0 and draws around it for the free parameters; the nuisance ones at their measured values.
    z_first = problem.unconstrained(np.concatenate([x0, prior_mean[n_free:]]))
    spread = np.concatenate([np.full(n_free, core.START_SPREAD_Z), np.zeros(len(NUISANCE))])
    fit = core.estimate(
        problem,
        noise,
        z_first=z_first,
        spread=spread,
        method=method,
        starts=starts,
        seed=seed,
        batch=batch,
        checked=[True] * n_free + [False] * len(NUISANCE),
        what=f"pendulum fit of `{window.source}`",
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        started=clock,
    )
    for message in fit.warnings:
        warnings.warn(message, NotIdentifiedWarning, stacklevel=3)

    residual = fit.residuals[:m]
    rmse_deg = float(np.sqrt(np.mean(residual**2)) / DEG)
    diagnostics = {
        **fit.diagnostics,
        "residual_autocorrelation_time": float(fit.autocorrelation_time[0]),
        "white_noise_sd_deg": float(fit.white_noise_sd[0] / DEG),
    }
    settings = {
        "model": kind,
        "model_reference": reference,
        "free": list(free),
        "bounds": {p: [float(lo), float(hi)] for p, lo, hi in zip(free, low, high)},
        "prior": f"logit-normal on the bounds, z ~ N(z(params0), {core.PRIOR_SD_Z:.4f}^2); initial angle ~ N(measured, "
        f"({initial_angle_sd_deg:g} deg)^2); release time ~ N(detected, ({release_time_sd_s:g} s)^2)",
        "method": method,
        "method_reference": METHODS[method].reference,
        "optimiser": core.OPTIMISER,
        "starts": int(starts),
        "screened_candidates": fit.screened_candidates,
        "dt_s": float(dt),
        "window_s": window.window_s,
        "noise": "fixed"
        if noise_sd_deg is not None
        else "estimated from the residuals; intervals widened by their integrated autocorrelation time",
        "noise_sd_deg": noise_sd_deg,
    }
    return core.fit_result(
        fit,
        names,
        method=method,
        seed=seed,
        data=window.describe(),
        settings=settings,
        diagnostics=diagnostics,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        rmse_deg=rmse_deg,
        noise_sd_deg=float(fit.noise_sd[0] / DEG),
        fitted=(window.time, window.angle, window.angle + residual),
        noise_sd={"angle_deg": float(fit.noise_sd[0] / DEG)},
        traces=(
            FittedTrace(
                label=window.source,
                channel=window.channel,
                unit="deg",
                time=window.time,
                observed=window.angle / DEG,
                fitted=(window.angle + residual) / DEG,
            ),
        ),
    )


@runtime.float64
def fit_pendulum(
    trial: Trial,
    params0: model.ReflexParams,
    *,
    free: Sequence[str] = DEFAULT_FREE,
    method: str = "map",
    starts: int = 4,
    seed: int = 0,
    noise_sd_deg: float | None = None,
    window_s: float | None = 5.0,
    dt: float = 2e-3,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    initial_angle_sd_deg: float = 2.0,
    release_time_sd_s: float = 0.05,
    num_warmup: int = 10,
    num_samples: int = 40,
    num_chains: int = 8,
    channel: str = "angle",
) -> FitResult:
    """Fit the reflex-loop model's ``free`` parameters to a recorded (or simulated) pendulum test.

    Parameters
    ----------
    trial : Trial with a knee ``angle`` channel (rad, flexion positive), e.g. from
        ``read_opensim(path, coordinate="knee_angle_r", angle_sign=-1)``.
    params0 : knee :class:`~myoreflex.model.ReflexParams` holding the fixed parameters and the
        first start of the free ones (e.g. ``default_params("knee", body_mass=..., height=...)``).
    free : dotted paths to estimate; bounds and priors come from each parameter's metadata.
    method : ``"map"`` (maximum a posteriori with Laplace intervals) or ``"nuts"`` (adds the full
        posterior by NUTS; ``ci95`` then comes from its draws).
    starts : optimiser starts: ``params0`` and ``starts - 1`` draws around it (from ``seed``).
    noise_sd_deg : sd of the angle noise (deg); None estimates it from the residuals: the optimum
        uses their white-noise sd, the intervals that sd widened by the square root of the
        residuals' integrated autocorrelation time (see :func:`myoreflex.fit.core.effective_noise_sd`),
        which is large when the model misses the recording systematically.
    window_s : seconds after the release to fit (None: to the end of the recording).
    dt : simulation step (s). 2 ms keeps the swing within 0.2 deg RMS of the 0.5 ms solution and
        halves the time of the simulator's default 1 ms; the fitted reflex gain of the 2 ms model
        is about 5 % below that of the 1 ms model for the same swing (the discretisation error is
        absorbed by the gain), so compare gains fitted with the same ``dt``.
    bounds : optional ``{path: (low, high)}`` replacing the metadata bounds.
    initial_angle_sd_deg, release_time_sd_s : prior sd of the two nuisance parameters, the angle
        the leg is released from (at rest) and the release time, around their measured values.
    num_warmup, num_samples, num_chains : NUTS settings (``method="nuts"``): burn-in and draws per
        chain (the step is fixed in the Laplace metric, :data:`myoreflex.fit.core.NUTS_STEP_SIZE`);
        the chains run vectorised, 8 at the cost of about 4 on a CPU; each leapfrog step is one
        batched simulation with its Jacobian, so the posterior costs 25-40 s on 2 cores, the Laplace
        intervals a second.

    Returns
    -------
    FitResult (``to_json()`` gives the command-line contract).

    Notes
    -----
    Residuals ``q_model(t_i) - q_recorded(t_i)`` over the window after the release, Gaussian
    likelihood, logit-normal prior on the documented bounds (:mod:`myoreflex.fit.core`). A
    :class:`NotIdentifiedWarning` names any free parameter the data leave undetermined.

    Examples
    --------
    >>> from myoreflex.model import default_params
    >>> from myoreflex.conditions import apply_condition
    >>> from myoreflex.fit import fit_pendulum, synthetic_pendulum
    >>> truth = apply_condition(default_params("knee"), "stroke", 0.7)
    >>> trial = synthetic_pendulum(truth, noise_sd_deg=1.0, seed=1)        # doctest: +SKIP
    >>> result = fit_pendulum(trial, truth, window_s=4.0)                  # doctest: +SKIP
    >>> sorted(result.to_dict())                                           # doctest: +SKIP
    ['ci95', 'converged', 'params', 'rmse_deg']
    """
    if not isinstance(params0, model.ReflexParams):
        raise ParameterError(
            describe("params0", "a ReflexParams (e.g. default_params('knee'))", type(params0).__name__)
        )
    if params0.joint != "knee":
        raise ProtocolError(describe("pendulum fit joint", "knee", params0.joint))
    return _fit(
        "full",
        trial,
        params0,
        free,
        method=method,
        starts=starts,
        seed=seed,
        noise_sd_deg=noise_sd_deg,
        window_s=window_s,
        dt=dt,
        bounds=bounds,
        initial_angle_sd_deg=initial_angle_sd_deg,
        release_time_sd_s=release_time_sd_s,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        channel=channel,
        reference="myoreflex reflex loop (myoreflex.model), released pendulum",
    )


def passive_limb(
    mass: float,
    com_distance: float,
    inertia: float,
    *,
    baseline_torque: float = 0.0,
    damping: float = 0.2,
    stiffness: float = 0.0,
    neutral_angle: float = 0.0,
) -> LimbParams:
    """A shank for the passive pendulum of De Groote et al. 2018: no range-of-motion limit torques.

    ``mass`` (kg), ``com_distance`` (m) from the knee, ``inertia`` (kg m^2) about the knee. The
    tutorial child (ANCHORS 3.3): ``passive_limb(2.3351, 0.2367, 0.1535)``.
    """
    return LimbParams(
        mass=mass,
        com_distance=com_distance,
        inertia=inertia,
        damping=damping,
        stiffness=stiffness,
        neutral_angle=neutral_angle,
        baseline_torque=baseline_torque,
        limit_low_torque=0.0,
        limit_high_torque=0.0,
    )


@runtime.float64
def fit_passive_pendulum(
    trial: Trial,
    limb: LimbParams,
    *,
    free: Sequence[str] = DEFAULT_PASSIVE_FREE,
    method: str = "map",
    starts: int = 4,
    seed: int = 0,
    noise_sd_deg: float | None = None,
    window_s: float | None = None,
    dt: float = 1e-3,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    initial_angle_sd_deg: float = 2.0,
    release_time_sd_s: float = 0.05,
    num_warmup: int = 10,
    num_samples: int = 40,
    num_chains: int = 8,
    channel: str = "angle",
) -> FitResult:
    """Fit baseline torque ``T_b`` and damping ``B`` (optionally ``stiffness``) of the passive pendulum.

    ``I q'' = m g l_c cos(q) - T_b - B q' [- K (q - q_n)]`` (De Groote et al. 2018; ANCHORS 3.3),
    with ``limb`` from :func:`passive_limb` giving ``m``, ``l_c`` and ``I``. ``free`` are paths of
    :class:`~myoreflex.physiology.limb.LimbParams` (``"baseline_torque"``, ``"damping"``,
    ``"stiffness"``, ``"neutral_angle"``). By default the whole recording after the release is
    fitted, as in the tutorial. Other arguments as :func:`fit_pendulum`.

    Examples
    --------
    >>> from myoreflex.fit import fit_passive_pendulum, passive_limb
    >>> from myoreflex.io import read_csv
    >>> trial = read_csv("DataPendulum.csv", angle_sign=-1)                         # doctest: +SKIP
    >>> result = fit_passive_pendulum(trial, passive_limb(2.3351, 0.2367, 0.1535))  # doctest: +SKIP
    >>> round(result.params["baseline_torque"], 1), round(result.params["damping"], 2)  # doctest: +SKIP
    (2.0, 0.15)
    """
    if not isinstance(limb, LimbParams):
        raise ParameterError(describe("limb", "a LimbParams (see passive_limb)", type(limb).__name__))
    return _fit(
        "passive",
        trial,
        limb,
        free,
        method=method,
        starts=starts,
        seed=seed,
        noise_sd_deg=noise_sd_deg,
        window_s=window_s,
        dt=dt,
        bounds=bounds,
        initial_angle_sd_deg=initial_angle_sd_deg,
        release_time_sd_s=release_time_sd_s,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        channel=channel,
        reference="De Groote et al. 2018 PLOS ONE 13:e0205763 passive pendulum (ANCHORS 3.3)",
    )


# ---------------------------------------------------------------------------------------------
# One subject of a cohort


@dataclasses.dataclass(frozen=True)
class PendulumFitter:
    """:func:`fit_pendulum` for one subject of a cohort: ``fitter(trials, row) -> {column: value}``.

    The fields are the fit's settings (recorded in the cohort's provenance and resume keys). The
    start and prior centre is ``apply_condition(default_params("knee", body_mass, height),
    condition, severity)``, with body mass and height from the row's ``body_mass_kg`` and
    ``height_m`` columns when it has them; the row's ``seed`` replaces ``seed``. Each subject needs
    exactly one pendulum recording.

    Returned columns: for each free parameter ``p``, ``p``, ``p_ci95_low`` and ``p_ci95_high``;
    ``rmse_deg``, ``converged``, ``noise_sd_deg``, ``not_identified`` and ``fit_s`` (seconds).

    Examples
    --------
    >>> PendulumFitter(condition="cerebral_palsy", severity=0.5).free
    ('motoneuron.gain', 'motoneuron.threshold')
    """

    free: tuple[str, ...] = DEFAULT_FREE
    condition: str = "healthy"
    severity: float = 0.0
    body_mass_kg: float = 75.0
    height_m: float = 1.75
    method: str = "map"
    starts: int = 4
    seed: int = 0
    dt: float = 2e-3

    def __post_init__(self):
        object.__setattr__(self, "free", tuple(self.free))

    def params0(self, row: Mapping | None = None) -> model.ReflexParams:
        """The subject's start: the knee preset for its body under the condition."""
        return core.subject_preset("knee", row or {}, body_mass_kg=self.body_mass_kg, height_m=self.height_m,
                                   condition=self.condition, severity=self.severity)

    def __call__(self, trials: Sequence[Trial], row: Mapping) -> dict:
        if len(trials) != 1:
            raise RecordingError(describe(f"subject `{row.get('subject')}`", "one pendulum recording",
                                          f"{len(trials)} recordings"))
        seed = row.get("seed")
        clock = _time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotIdentifiedWarning)  # kept in the `not_identified` column
            result = fit_pendulum(trials[0], self.params0(row), free=self.free, method=self.method,
                                  starts=self.starts, seed=self.seed if seed is None else int(seed), dt=self.dt)
        return {
            **core.result_columns(result),
            "rmse_deg": result.rmse_deg,
            "noise_sd_deg": result.noise_sd_deg,
            "fit_s": _time.perf_counter() - clock,
        }
