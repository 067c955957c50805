"""One fit pipeline: a fit model supplies its recordings and residuals, the pipeline does the rest.

The contract of a fit model (:class:`FitModel`) is one method, and an optional second:

- ``prepare(trials, params0) -> Prepared`` checks the recordings and ``params0`` and turns them
  into arrays (padded, :func:`pad`, so that similar recordings share one compilation); it declares
  which residual is which channel of which recording (:class:`FitChannel`, :class:`Series`), the
  nuisance parameters it needs (:class:`Nuisance`), what was fitted (``FitResult.data``) and its
  own entries of ``FitResult.settings``. Its ``residuals(params, nuisance, data)`` is the residual
  vector ``r = model - data`` as a pure JAX function of the parameter tree (``params0`` with the
  free values set), the nuisance values (a 1-D array, empty without nuisance parameters) and the
  prepared arrays; it keys the compilation, so it is hashable: a frozen dataclass whose fields are
  its static settings (step, number of steps, variant).
- ``report(prepared, fit) -> dict`` (optional) gives the model's own :class:`FitResult` fields and
  ``diagnostics`` entries from the estimate ``fit`` (:class:`~myoreflex.fit.core.Estimate`), e.g. an
  RMSE in the unit of its data.

:func:`fit_model` owns everything else, the same for every model: the free parameters' bounds from
their metadata and the logit transform to them (:func:`~myoreflex.fit.core.to_constrained`), the
batched forward-mode Jacobians (:func:`~myoreflex.fit.core.model_jacobians`, one compiled function
for every fit, its batches split over the CPU cores), the prior, the screened starts, the noise
model (:class:`~myoreflex.fit.core.NoiseModel`, per channel, fixed by
:attr:`FitSettings.noise_sd` or estimated), Levenberg-Marquardt, the Laplace approximation,
identifiability, NUTS, and the :class:`FitResult` with the fitted traces and its provenance.
:mod:`~myoreflex.fit.pendulum` and :mod:`~myoreflex.fit.stretch` are the models of myoreflex;
tests/fit/test_pipeline.py fits a decaying exponential through the same pipeline in a dozen lines.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np

from myoreflex import runtime
from myoreflex.errors import ParameterError, describe
from myoreflex.fit import core
from myoreflex.fit.core import DEFAULT_SETTINGS, FitSettings
from myoreflex.fit.result import FitResult, FittedTrace, NotIdentifiedWarning
from myoreflex.params import get_param
from myoreflex.trial import Trial

PAD = 128
"""Samples of a recording are padded to a multiple of this, so that recordings of similar length
share one compilation (the padding carries zero weight)."""
ESTIMATED_NOISE = "estimated from the residuals; intervals widened by their integrated autocorrelation time"
REGRESSION_PRIORS = {
    "limb.inertia": (0.20, "Yeadon & Morlock 1989 J Biomech 22:683: limb moments of inertia from anthropometric "
                     "regressions have standard errors of 13 % (non-linear) to 21 % (linear) in adults, and "
                     "20 % (non-linear) for a 10-year-old outside the sample"),
}
"""Free parameters whose preset comes from a population regression with a known individual error:
path -> (sd of ``log x`` about ``params0``'s value, source). Freed, such a parameter gets that prior
(:func:`~myoreflex.fit.core.log_prior_sd_z`) instead of the weak one uniform on its bounds: the
segment's inertia of a patient is known to about 20 %, not to the factor 30,000 of its bounds."""
WARNING_STACKLEVEL = 4
"""Where a :class:`NotIdentifiedWarning` points: :func:`run` (1), the public fit function that calls it
(2), the :func:`myoreflex.runtime.float64` wrapper of that function (3), the caller's line (4)."""


@dataclasses.dataclass(frozen=True)
class FitChannel:
    """One kind of compared data, with one noise sd: ``label`` names it (``"angle"``, ``"torque_Nm"``,
    ``"emg_1"``; the key of :attr:`FitSettings.noise_sd` and of the noise entries of the result),
    ``unit`` is the unit of its fitted traces and ``scale`` the SI value of one ``unit`` (``DEG`` for
    ``"deg"``); ``start_sd`` (SI) is the noise sd used until the first estimate."""

    label: str
    unit: str
    scale: float
    start_sd: float


@dataclasses.dataclass(frozen=True)
class Series:
    """One contiguous run of data residuals: channel ``channel`` (an index into ``Prepared.channels``)
    of one recording, residuals ``start`` to ``start + time.size``. ``label`` names the recording
    and ``name`` the channel in it (``angle``, ``torque``, ``emg_<muscle>``) for plots; ``time`` (s)
    and ``observed`` (SI) are the compared samples."""

    channel: int
    start: int
    label: str
    name: str
    time: np.ndarray
    observed: np.ndarray

    @property
    def stop(self) -> int:
        return self.start + self.time.size


@dataclasses.dataclass(frozen=True)
class Nuisance:
    """A parameter the model needs that is not in the parameter tree (a pendulum's release angle and
    time): unbounded, with the normal prior ``N(value, sd^2)`` written out in ``prior`` for
    ``FitResult.settings``; ``value`` is also its first start."""

    name: str
    value: float
    sd: float
    prior: str


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A fit model's recordings made ready for the pipeline (see the module doc).

    ``residuals(params, nuisance, data)`` returns ``n_residuals`` values (zero on padding; None for a
    joint model, whose ``parts`` carry theirs);
    ``data`` is a dict of NumPy arrays (moved to JAX once per fit); ``channels`` and ``series``
    say which residual is what; ``description`` becomes ``FitResult.data``, ``settings`` the model's
    entries of ``FitResult.settings``; ``what`` names the recordings in errors; ``warnings`` are the
    recordings' failed quality gates of a lenient fit (:mod:`myoreflex.measures.gates`), put first
    in ``FitResult.warnings``.
    """

    residuals: Callable | None
    data: Mapping[str, Any]
    n_residuals: int
    channels: tuple[FitChannel, ...]
    series: tuple[Series, ...]
    description: Mapping[str, Any]
    what: str
    settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    nuisance: tuple[Nuisance, ...] = ()
    warnings: tuple[str, ...] = ()
    parts: tuple[Prepared, ...] = ()
    """A joint model's prepared parts (:class:`myoreflex.fit.joint.JointModel`), their residuals,
    channels, series and nuisance laid end to end in this one; each part is evaluated by its own
    compiled function (:func:`evaluator`), as it is when fitted alone."""

    def __post_init__(self):
        for s in self.series:  # a model's own layout mistake, named before anything is compiled
            if not (0 <= s.channel < len(self.channels) and 0 <= s.start and s.stop <= self.n_residuals):
                raise ValueError(describe(f"series `{s.label}` ({s.name}) of {self.what}",
                                          f"a channel index below {len(self.channels)} and residuals within "
                                          f"[0, {self.n_residuals})", f"channel {s.channel}, [{s.start}, {s.stop})"))

    def split(self, residuals) -> list[np.ndarray]:
        """The residuals of each series, in the order of :attr:`series`."""
        residuals = np.asarray(residuals)
        return [residuals[s.start : s.stop] for s in self.series]

    def of_channel(self, residuals, channel: int) -> list[np.ndarray]:
        """The residuals of each series of one channel."""
        return [r for s, r in zip(self.series, self.split(residuals)) if s.channel == channel]

    def noise_model(self, fixed_sd: Mapping[str, float]) -> core.NoiseModel:
        """The per-channel noise model: ``fixed_sd`` (:attr:`FitSettings.noise_sd`) fixes channels by label."""
        labels = tuple(c.label for c in self.channels)
        unknown = sorted(set(fixed_sd) - set(labels))
        if unknown:
            raise ParameterError(describe("noise_sd", f"channel labels among {list(labels)}", unknown))
        group = np.full(self.n_residuals, -1)
        segment = np.full(self.n_residuals, -1)
        for index, s in enumerate(self.series):
            group[s.start : s.stop] = s.channel
            segment[s.start : s.stop] = index
        return core.NoiseModel(
            group=group,
            segment=segment,
            labels=labels,
            fixed=tuple(fixed_sd.get(label) for label in labels),
            start=tuple(c.start_sd for c in self.channels),
        )


class FitModel(Protocol):
    """What a fit model supplies (module doc): ``prepare``, and optionally ``report``."""

    def prepare(self, trials: Sequence[Trial], params0) -> Prepared: ...


def pad(rows: Sequence[np.ndarray], length: int, *, fill_last: bool = False) -> np.ndarray:
    """Rows of different lengths as one ``(len(rows), length)`` array, padded with zeros or, with
    ``fill_last``, with each row's last value (times: the padding then stays inside the recording)."""
    out = np.zeros((len(rows), length))
    for i, row in enumerate(rows):
        out[i, : row.size] = row
        if fill_last:
            out[i, row.size :] = row[-1]
    return out


def padded_length(n: int, multiple: int = PAD) -> int:
    """``n`` rounded up to a multiple of ``multiple``."""
    return -(-n // multiple) * multiple


def _checked_trials(trials) -> list[Trial]:
    trials = [trials] if isinstance(trials, Trial) else list(trials)
    if not trials or not all(isinstance(t, Trial) for t in trials):
        raise ParameterError(describe("trials", "one or more Trials", [type(t).__name__ for t in trials]))
    return trials


SUMMED = (("motoneuron.threshold", "descending.inhibition", "descending.facilitation"),)
"""Parameters that enter the model only through one combination, so at most one of each group may be
free: the motor neurons read ``x = net_input - threshold`` with ``net_input = ... + facilitation -
inhibition`` (:func:`myoreflex.physiology.spinal_circuit.net_input`, :mod:`myoreflex.physiology.motoneuron`),
i.e. ``threshold + inhibition - facilitation`` alone (the persistent inward current, off by default,
reads ``net_input`` against its own threshold). Two of them free make a flat valley in the posterior
that no data can resolve (a structural non-identifiability, Raue et al. 2009 Bioinformatics 25:1923)."""


def _checked_free(free) -> tuple[str, ...]:
    free = (free,) if isinstance(free, str) else tuple(free)
    if len(free) == 0 or len(set(free)) != len(free):
        raise ParameterError(describe("free", "one or more distinct parameter paths", list(free)))
    for group in SUMMED:
        together = [path for path in free if path in group]
        if len(together) > 1:
            raise ParameterError(describe(
                "free", f"at most one of {', '.join(group)}", together,
                "they enter the model only as threshold + inhibition - facilitation; free one of them"))
    return free


def _checked_profile(profile: Sequence[str], free: Sequence[str]) -> tuple[str, ...]:
    unknown = [name for name in profile if name not in free]
    if unknown:
        raise ParameterError(describe("profile", f"free parameters among {list(free)}", unknown))
    return tuple(profile)


def run(model: FitModel, trials, params0, *, free: Sequence[str], bounds=None,
        settings: FitSettings = DEFAULT_SETTINGS) -> FitResult:
    """:func:`fit_model` without the float64 wrapper, for the public fit functions that call it
    directly (its warnings point at their caller, :data:`WARNING_STACKLEVEL`)."""
    clock = time.perf_counter()
    if not isinstance(settings, FitSettings):
        raise ParameterError(describe("settings", "a FitSettings", type(settings).__name__))
    trials = _checked_trials(trials)
    free = _checked_free(free)
    profiled = _checked_profile(settings.profile, free)
    held = held_assumptions(params0, free, settings)
    prepared = model.prepare(trials, params0)
    low, high = core.bounds_of(params0, free, bounds)
    noise = prepared.noise_model(settings.noise_sd)
    nuisance = prepared.nuisance
    n_free, n_nuisance = len(free), len(nuisance)
    x0 = np.array([float(get_param(params0, path)) for path in free])
    measured = np.array([n.value for n in nuisance])
    problem_low = np.concatenate([low, np.zeros(n_nuisance)])
    problem_high = np.concatenate([high, np.ones(n_nuisance)])
    bounded = np.array([True] * n_free + [False] * n_nuisance)
    arrays = {
        "base": params0,
        "data": jax.tree_util.tree_map(jnp.asarray, dict(prepared.data)),
        "low": jnp.asarray(problem_low),
        "high": jnp.asarray(problem_high),
        "bounded": jnp.asarray(bounded),
    }
    problem = core.Problem(
        names=free + tuple(n.name for n in nuisance),
        low=problem_low,
        high=problem_high,
        bounded=bounded,
        prior_mean=np.concatenate([core.to_unconstrained(x0, low, high), measured]),
        prior_sd=np.concatenate([prior_sd_z(free, x0, low, high), [n.sd for n in nuisance]]),
        evaluate=evaluator(prepared, free, settings.batch, arrays),
    )
    # Starts: params0 and draws around it for the free parameters; nuisance ones at their measured values.
    fit = core.estimate(
        problem,
        noise,
        settings,
        z_first=problem.unconstrained(np.concatenate([x0, measured])),
        spread=np.concatenate([np.full(n_free, core.START_SPREAD_Z), np.zeros(n_nuisance)]),
        checked=[True] * n_free + [False] * n_nuisance,
        what=prepared.what,
        started=clock,
    )
    profiles, flat = _profiles(problem, fit, profiled) if profiled else (None, ())
    assumed = assumed_effects(problem, fit, n_free, lambda base: evaluator(prepared, free, settings.batch,
                                                                          {**arrays, "base": base}), params0, held)
    for message in fit.warnings + flat:
        warnings.warn(message, NotIdentifiedWarning, stacklevel=WARNING_STACKLEVEL)
    if flat:
        fit = dataclasses.replace(fit, warnings=fit.warnings + flat)
    return _result(model, prepared, fit, free, low, high, noise, settings, profiles, assumed)


def evaluator(prepared: Prepared, free: tuple[str, ...], batch: int, arrays: dict) -> Callable:
    """``evaluate(z) -> (r, dr/dz)`` of the fit's residuals (:class:`core.Problem`): the compiled
    :func:`core.model_jacobians` of ``prepared.residuals``; for a joint model, each part's on its own
    data and nuisance columns, concatenated (compiling the parts apart is faster than compiling
    them as one function, and reuses a part's compilation from a fit of it alone)."""
    if not prepared.parts:
        return core.batched_evaluator(core.model_jacobians, batch, arrays,
                                      {"residuals": prepared.residuals, "free": free})
    n_free, first, parts = len(free), 0, []
    for i, part in enumerate(prepared.parts):
        columns = np.r_[0:n_free, n_free + first : n_free + first + len(part.nuisance)]
        first += len(part.nuisance)
        own = {**arrays, "data": arrays["data"][f"part{i}"],
               **{key: arrays[key][columns] for key in ("low", "high", "bounded")}}
        parts.append((columns, evaluator(part, free, batch, own)))

    def evaluate(z, **kwargs):
        z = np.atleast_2d(np.asarray(z, dtype=float))
        rs, js = [], []
        for columns, part in parts:
            r, jac = part(z[:, columns], **kwargs)
            full = np.zeros((*jac.shape[:2], z.shape[1]))
            full[..., columns] = jac
            rs.append(r)
            js.append(full)
        return np.concatenate(rs, axis=1), np.concatenate(js, axis=1)

    return evaluate


ASSUMPTION_WARNING_SHIFT = 0.10
"""An assumed value's known error (one sd) that moves a free parameter by more than this fraction, and
widens its interval more than ``sqrt 2`` times (the assumption's error then exceeds the noise's), is
named in the fit's warnings; a smaller dependence is only reported (``assumptions``)."""
ASSUMED_STEP_LOG = 0.01
"""Forward-difference step in ``log x`` of an assumed parameter (1 %): the slope's error is about half
the step times the response's curvature, under a percent here (the test of the inertia's slope
against refits at 10 % allows 15 %), and the step is far above the simulation's rounding."""


def default_assumed_sd(subject, joint: str, free: Sequence[str] = (),
                       given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The held values whose spread a fit of ``joint`` for ``subject`` carries by default (the
    :class:`FitSettings` ``assumed_sd`` of ``myoreflex fit`` and ``cohort fit``): the growth charts'
    spread of each body measure filled in (:func:`myoreflex.subjects.assumed_body_log_sd`) and the
    published spread of the joint's reflex latency unless a delay is ``free``
    (:func:`myoreflex.model.assumed_latency_log_sd`), then ``given``, which replaces any default that
    names one of its parameters (so none is counted twice).

    >>> from myoreflex.subjects import Subject
    >>> sorted(default_assumed_sd(Subject(age_years=10), "knee"))
    ['body_mass', 'delays.afferent+delays.efferent', 'height']
    >>> default_assumed_sd(Subject(body_mass_kg=32, height_m=1.38), "knee", given={"delays.efferent": 0.3})
    {'delays.efferent': 0.3}
    """
    from myoreflex.model import assumed_latency_log_sd
    from myoreflex.subjects import assumed_body_log_sd

    given = dict(given or {})
    named = {part for name in given for part in name.split("+")}
    defaults = {**assumed_body_log_sd(subject), **assumed_latency_log_sd(joint, free)}
    return {**{name: spread for name, spread in defaults.items() if not named & set(name.split("+"))}, **given}


def held_assumptions(params0, free: Sequence[str], settings: FitSettings) -> tuple[tuple, ...]:
    """The values a fit holds with a known error: ``(name, value, sd of its log, source, perturb)`` per
    :data:`REGRESSION_PRIORS` path not freed (and in the model), then per ``settings.assumed_sd`` name:
    a path, ``"body_mass"`` or ``"height"`` (:data:`myoreflex.subjects.SIZE_EXPONENTS`), or several
    joined by ``+``, which share one error (``"delays.afferent+delays.efferent"``: the loop delay); the
    value is None but for one path. ``perturb(tree, factor)`` is the tree with those values times
    ``factor``. A name that is free, or neither a parameter of the model nor a body measure, is a
    :class:`ParameterError`."""
    from myoreflex.params import has_param, scaled
    from myoreflex.subjects import SIZE_EXPONENTS, rescaled_body

    def scaler(part):
        if part in free:
            raise ParameterError(describe(f"assumed_sd[{part!r}]", "a held value, not a free parameter", part))
        if part in SIZE_EXPONENTS:
            return lambda tree, factor: rescaled_body(tree, part, factor)
        if not has_param(params0, part):
            raise ParameterError(describe("assumed_sd", f"parameter paths of the model or "
                                          f"{', '.join(SIZE_EXPONENTS)}, joined by +", repr(part)))
        return lambda tree, factor: scaled(tree, part, factor)

    def together(scalers):
        def perturb(tree, factor):
            for one in scalers:
                tree = one(tree, factor)
            return tree
        return perturb

    held = {path: (float(get_param(params0, path)), sd, source, scaler(path))
            for path, (sd, source) in REGRESSION_PRIORS.items() if path not in free and has_param(params0, path)}
    for name, (sd, source) in settings.assumed_sd.items():
        parts = name.split("+")
        perturb = together([scaler(part) for part in parts])
        value = float(get_param(params0, name)) if len(parts) == 1 and name not in SIZE_EXPONENTS else None
        held[name] = (value, sd, source, perturb)
    return tuple((name, *entry) for name, entry in held.items())


def assumed_effects(problem: core.Problem, fit: core.Estimate, n_free: int, evaluator_at, params0,
                    held: tuple) -> dict | None:
    """What the fit owes to the values it holds with a known error (:func:`held_assumptions`): per
    assumption, its value, its sd and source, and each free parameter's sensitivity: ``sensitivity``
    ``d log x / d log a`` where the parameter's bounds keep it positive (None otherwise) and ``shift``
    ``dx / d log a`` in the parameter's unit (:func:`core.with_assumed`); the free parameters' 95 %
    intervals with the assumed values' errors propagated (on the Laplace covariance, whatever the
    fit's method); and a message for each free parameter that an assumption's error moves by more
    than :data:`ASSUMPTION_WARNING_SHIFT` of its value (one sd of the assumption) and whose interval
    they widen more than ``sqrt 2`` times, naming the assumptions that move it so. None when nothing
    is held.

    ``evaluator_at(base)`` is the problem's evaluator on another parameter tree (the same compiled
    function: the tree is an argument, not a constant, and :func:`~myoreflex.params.scaled` keeps
    its numbers' kinds, so nothing compiles again); ``dr/d log a`` is a forward difference (one
    evaluation each: an evaluation costs a whole batch of simulations with their Jacobians)."""
    if not held or fit.jacobian is None or fit.covariance is None or not np.all(np.isfinite(fit.covariance)):
        return None
    z = fit.z[None]
    at_fit = evaluator_at(params0)(z)[0][0]
    columns = [(evaluator_at(perturb(params0, np.exp(ASSUMED_STEP_LOG)))(z)[0][0] - at_fit) / ASSUMED_STEP_LOG
               for *_, perturb in held]
    sd_log = [sd for _, _, sd, _, _ in held]
    covariance, shift = core.with_assumed(fit.covariance, fit.jacobian, np.stack(columns, axis=-1), fit.sigma, sd_log)
    sd_z = np.sqrt(np.diag(covariance))
    names = problem.names[:n_free]
    slope = core.constrained_slope(fit.z, problem.low, problem.high, problem.bounded)
    low_x, high_x = problem.values(fit.z - core.Z_95 * sd_z), problem.values(fit.z + core.Z_95 * sd_z)
    ci95 = {name: (float(low_x[j]), float(high_x[j])) for j, name in enumerate(names)}
    positive = [problem.low[j] >= 0 and fit.values[j] > 0 for j in range(n_free)]
    effects = {name: {"value": value, "prior_sd_log": sd, "source": source,
                      "sensitivity": {p: float(slope[j] * shift[j, i] / fit.values[j]) if positive[j] else None
                                      for j, p in enumerate(names)},
                      "shift": {p: float(slope[j] * shift[j, i]) for j, p in enumerate(names)}}
               for i, (name, value, sd, source, _) in enumerate(held)}
    widening = sd_z / np.sqrt(np.diag(fit.covariance))
    values = dict(zip(names, fit.values))

    def moved(name, path):  # the shift of one sd of the assumption, relative to the value (any sign)
        effect = effects[path]
        return abs(effect["shift"][name]) * effect["prior_sd_log"] > ASSUMPTION_WARNING_SHIFT * abs(values[name])

    def dependence(name, path):
        effect = effects[path]
        slope_text = (f"d log / d log = {effect['sensitivity'][name]:+.2f}" if effect["sensitivity"][name] is not None
                      else f"d / d log = {effect['shift'][name]:+.3g}")
        return f"`{path}` ({slope_text}, known to {100 * effect['prior_sd_log']:.0f} %)"

    messages = tuple(
        f"`{name}` depends on the assumed " + ", ".join(dependence(name, path) for path, *_ in held
                                                        if moved(name, path))
        + f": with their errors its 95 % interval is [{ci95[name][0]:.4g}, {ci95[name][1]:.4g}], "
        f"{widening[j]:.1f} times as wide as the noise alone gives (ci95_with_assumptions)"
        for j, name in enumerate(names) if widening[j] > np.sqrt(2.0) and any(moved(name, path) for path, *_ in held))
    return {"assumptions": effects, "ci95_with_assumptions": ci95, "messages": messages}


def prior_sd_z(free: Sequence[str], x0, low, high) -> np.ndarray:
    """Prior sd in ``z`` of each free parameter: :data:`core.PRIOR_SD_Z` (uniform on the bounds), or
    the :data:`REGRESSION_PRIORS` sd of ``log x`` about ``x0`` carried to ``z``.

    >>> prior_sd_z(["motoneuron.gain", "limb.inertia"], [0.004, 0.458], [0.0, 1e-4], [0.1, 3.0]).round(3)
    array([1.814, 0.236])
    """
    return np.array([core.log_prior_sd_z(REGRESSION_PRIORS[path][0], x, lo, hi) if path in REGRESSION_PRIORS
                     else core.PRIOR_SD_Z for path, x, lo, hi in zip(free, x0, low, high)])


def _profiles(problem: core.Problem, fit: core.Estimate, profiled: Sequence[str]) -> tuple[dict, tuple[str, ...]]:
    """Profiles of the ``profiled`` parameters (:func:`core.profile`) and a message for each flat one,
    which also marks its parameter not identified in ``fit.identification``."""
    profiles, messages = {}, []
    for name in profiled:
        curve = core.profile(problem, fit.z, fit.sigma, fit.covariance, fit.names.index(name))
        profiles[name] = curve
        verdict = fit.identification.get(name)
        if verdict is not None:
            low_rises, high_rises = curve["ci95"][0] is not None, curve["ci95"][1] is not None
            verdict["profile"] = {(True, True): "rises on both sides", (False, True): "bounded above only",
                                  (True, False): "bounded below only", (False, False): "flat"}[low_rises, high_rises]
            verdict["profile_ci95"] = curve["ci95"]
        if curve["flat"] and verdict is not None:
            reason = (f"its profile likelihood is flat: it rises by less than {core.PROFILE_RISE:.2f} "
                      "(half the chi-square 95 % quantile) over the prior's 95 % range on both sides")
            verdict["reasons"].append(reason)
            verdict["identified"] = False
            messages.append(f"`{name}` is not identified by the data: {reason}")
    return profiles, tuple(messages)


def _result(model, prepared: Prepared, fit: core.Estimate, free, low, high, noise: core.NoiseModel,
            settings: FitSettings, profiles=None, assumed: dict | None = None) -> FitResult:
    """The :class:`FitResult` of an estimate: what every fit shares, then the model's ``report``."""
    import myoreflex

    labels = noise.labels
    prior = f"logit-normal on the bounds, z ~ N(z(params0), {core.PRIOR_SD_Z:.4f}^2)"
    regression = [f"{path}: sd {100 * REGRESSION_PRIORS[path][0]:.0f} % of its value ({REGRESSION_PRIORS[path][1]})"
                  for path in free if path in REGRESSION_PRIORS]
    if regression:
        prior += ", except " + "; ".join(regression)
    record = {
        **prepared.settings,
        "free": list(free),
        "bounds": {p: [float(lo), float(hi)] for p, lo, hi in zip(free, low, high)},
        "prior": "; ".join([prior, *(n.prior for n in prepared.nuisance)]),
        **settings.record(),
        "screened_candidates": fit.screened_candidates,
        "noise": {label: "fixed" if sd is not None else ESTIMATED_NOISE for label, sd in zip(labels, noise.fixed)},
        "noise_sd": dict(zip(labels, noise.fixed)),
    }
    traces = []
    for s, residual in zip(prepared.series, prepared.split(fit.residuals)):
        channel = prepared.channels[s.channel]
        traces.append(FittedTrace(s.label, s.name, channel.unit, s.time, s.observed / channel.scale,
                                  (s.observed + residual) / channel.scale))
    fields = {
        "rmse_deg": None,
        "noise_sd_deg": None,
        "noise_sd": dict(zip(labels, map(float, fit.noise_sd))),
        "diagnostics": {
            "residual_autocorrelation_time": dict(zip(labels, map(float, fit.autocorrelation_time))),
            "white_noise_sd": dict(zip(labels, map(float, fit.white_noise_sd))),
        },
    }
    report = getattr(model, "report", None)
    if report is not None:
        extra = dict(report(prepared, fit))
        fields["diagnostics"].update(extra.pop("diagnostics", {}))
        fields.update(extra)
    fields["diagnostics"] = {**fit.diagnostics, **fields["diagnostics"]}
    convergence = {**fit.diagnostics.get("convergence", {}), "optimiser": fit.diagnostics.get("reason")}
    return FitResult(
        params={name: float(v) for name, v in zip(fit.names, fit.values)},
        ci95=fit.ci95,
        sd=fit.sd,
        converged=fit.converged,
        names=fit.names,
        correlations=fit.correlations,
        warnings=tuple(prepared.warnings) + tuple(fit.warnings) + (assumed["messages"] if assumed else ()),
        not_identified=tuple(fit.warnings),
        method=settings.method,
        data=dict(prepared.description),
        model_version=myoreflex.__version__,
        settings=record,
        seed=int(settings.seed),
        history=fit.history,
        laplace_ci95=fit.laplace_ci95,
        samples=fit.samples,
        chains=fit.chains,
        sample_stats=fit.sample_stats,
        traces=tuple(traces),
        identified={name: bool(v["identified"]) for name, v in fit.identification.items()},
        identification=fit.identification,
        convergence=convergence,
        profiles=profiles,
        assumptions=assumed["assumptions"] if assumed else None,
        ci95_with_assumptions=assumed["ci95_with_assumptions"] if assumed else None,
        assumption_warnings=assumed["messages"] if assumed else (),
        **fields,
    )


@runtime.float64
def fit_model(model: FitModel, trials: Sequence[Trial] | Trial, params0, *, free: Sequence[str],
              bounds: Mapping[str, tuple[float, float]] | None = None,
              settings: FitSettings = DEFAULT_SETTINGS) -> FitResult:
    """Fit ``model``'s ``free`` parameters to ``trials``: the pipeline every fit of myoreflex runs.

    Parameters
    ----------
    model : a fit model (module doc), e.g. :class:`~myoreflex.fit.pendulum.PendulumModel`.
    trials : the recordings, one Trial or several.
    params0 : the parameter tree (an ``equinox.Module`` declared with
        :func:`~myoreflex.params.param`) holding the fixed parameters and the first start and
        prior centre of the free ones.
    free : dotted paths of ``params0`` to estimate; bounds and priors come from their metadata
        (``bounds``: optional ``{path: (low, high)}`` replacing them).
    settings : how to estimate (:class:`FitSettings`: method, starts, seed, noise, NUTS).

    Returns
    -------
    FitResult. A :class:`NotIdentifiedWarning` names any free parameter the data leave undetermined.

    Examples
    --------
    A new fit model is a residual function and a ``prepare``; here ``y = a exp(-t / tau)``:

    >>> import dataclasses, equinox as eqx, jax.numpy as jnp, numpy as np
    >>> from myoreflex.params import param
    >>> from myoreflex.trial import Channel, Trial
    >>> class Decay(eqx.Module):
    ...     amplitude: float = param(1.0, unit="1", bounds=(0.0, 10.0), source="example")
    ...     time_constant: float = param(1.0, unit="s", bounds=(0.01, 10.0), source="example")
    >>> @dataclasses.dataclass(frozen=True)
    ... class DecayResiduals:
    ...     def __call__(self, params, nuisance, data):
    ...         return params.amplitude * jnp.exp(-data["t"] / params.time_constant) - data["y"]
    >>> @dataclasses.dataclass(frozen=True)
    ... class DecayModel:
    ...     def prepare(self, trials, params0):
    ...         t, y = trials[0].time, trials[0]["signal"]
    ...         return Prepared(DecayResiduals(), {"t": t, "y": y}, t.size, (FitChannel("signal", "1", 1.0, 0.1),),
    ...                         (Series(0, 0, "decay", "signal", t, y),), {"n_samples": t.size}, "decay fit")
    >>> t = np.linspace(0.0, 2.0, 50)
    >>> noise = 0.01 * np.random.default_rng(0).standard_normal(t.size)
    >>> trial = Trial(t, {"signal": Channel(3.0 * np.exp(-t / 0.5) + noise, "1")})
    >>> result = fit_model(DecayModel(), trial, Decay(), free=["amplitude", "time_constant"])
    >>> round(result.params["amplitude"], 1), round(result.params["time_constant"], 2)
    (3.0, 0.5)
    """
    return run(model, trials, params0, free=free, bounds=bounds, settings=settings)
