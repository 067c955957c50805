"""A fitted patient as a simulation input: rebuild the fitted subject's parameters, re-simulate it
under any protocol, with treatments, and carry the fit's uncertainty into every measure.

``simulate_fit(fit, protocol, treatments=(), draws=200)`` takes a :class:`FitResult`, its JSON
(``fit ... --json``, a dict or a file path) and

1. rebuilds the parameter set the fit started from (:func:`base_params`): the JSON's ``base`` key
   (every parameter value, the joint, the variants and muscle names: :func:`describe_params`), else
   the command line's ``subject`` (and ``fixed``, ``condition``, ``severity``, ``joint``) keys through
   :func:`myoreflex.subjects.subject_params`, else the ``base=`` given;
2. sets the fitted values (:func:`fitted_params`; the nuisance values of a pendulum fit, the release
   angle and time, are not parameters of the subject and are left out);
3. draws parameter sets from the posterior: the NUTS draws when the fit kept them (``samples``), else
   the Laplace approximation, drawn where the fit computes it, on the logit scale of each parameter's
   bounds (``z = logit((x - low) / (high - low))``, sd ``sd_x (high - low) / ((x - low)(high - x))``
   by the delta method, correlations as fitted), so every draw stays inside its bounds;
4. applies the treatments (:func:`myoreflex.treatments.apply_treatments`) to the estimate and to
   every draw, simulates them and measures each with the protocol's own measure.

The result gives the measures at the estimate and, for every numeric measure, the median and 95 %
interval (2.5 and 97.5 percentiles) over the draws that simulated and measured.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from myoreflex.errors import ParameterError, describe
from myoreflex.model import default_params, variants
from myoreflex.params import has_param, parameter_table, stack_params, with_overrides

DEFAULT_DRAWS = 200


def describe_params(params) -> dict:
    """A parameter set as plain JSON: ``{"joint", "variants", "muscle_names", "values": {path: value}}``.

    >>> from myoreflex import default_params
    >>> d = describe_params(default_params("elbow"))
    >>> d["joint"], d["variants"]["feedback"], round(d["values"]["limb.mass"], 3)
    ('elbow', 'spindle', 1.65)
    """
    return {"joint": params.joint, "variants": variants(params), "muscle_names": list(params.muscle_names),
            "values": {row.path: float(row.value) for row in parameter_table(params)}}


def params_from_description(description: Mapping[str, Any]):
    """The parameter set :func:`describe_params` described.

    >>> from myoreflex import apply_condition, default_params
    >>> stroke = apply_condition(default_params("knee"), "stroke", 0.7)
    >>> again = params_from_description(json.loads(json.dumps(describe_params(stroke))))
    >>> float(again.motoneuron.threshold) == float(stroke.motoneuron.threshold)
    True
    """
    try:
        joint, chosen, values = description["joint"], dict(description["variants"]), dict(description["values"])
    except (KeyError, TypeError):
        raise ParameterError(describe("fit `base`", "a mapping with joint, variants and values",
                                      sorted(description) if isinstance(description, Mapping) else type(description).__name__)) from None
    params = default_params(joint, **chosen)
    params = with_overrides(params, {path: float(value) for path, value in values.items() if value is not None})
    names = tuple(description.get("muscle_names") or params.muscle_names)
    return dataclasses.replace(params, muscle_names=names) if names != params.muscle_names else params


def _as_dict(fit) -> dict:
    """A FitResult, a JSON string, a path to a JSON file, or a dict, as the JSON dict."""
    from myoreflex.fit.result import FitResult

    if isinstance(fit, FitResult):
        return fit.to_dict()
    if isinstance(fit, Mapping):
        return dict(fit)
    if isinstance(fit, (str, Path)):
        text = str(fit)
        if not text.lstrip().startswith("{"):
            path = Path(text)
            if not path.is_file():
                raise ParameterError(describe("fit", "a FitResult, its JSON or a JSON file", f"`{path}` (no such file)"))
            text = path.read_text()
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ParameterError(describe("fit JSON", "the output of `myoreflex fit ... --json`", str(error))) from None
    raise ParameterError(describe("fit", "a FitResult, its JSON or a JSON file", type(fit).__name__))


def base_params(fit, base=None):
    """The parameter set the fit started from (module doc, step 1)."""
    out = _as_dict(fit)
    if out.get("base"):
        return params_from_description(out["base"])
    if base is not None:
        return base
    if "subject" in out:
        from myoreflex.conditions import apply_condition
        from myoreflex.subjects import Subject, subject_params

        joint = out.get("joint") or (out.get("base") or {}).get("joint") or "knee"
        params = subject_params(joint, Subject(**{k: v for k, v in out["subject"].items() if v is not None}))
        if out.get("condition"):
            params = apply_condition(params, out["condition"], float(out.get("severity") or 0.0))
        return with_overrides(params, dict(out.get("fixed") or {}))
    raise ParameterError(describe("fit JSON", "a `base` key (the fitted parameter set) or a `subject` key",
                                  f"keys {sorted(out)}", "pass base=the params0 of the fit"))


def fitted_params(fit, base=None):
    """The fitted subject: its base with the fitted values set (nuisance values left out).

    >>> from myoreflex import default_params
    >>> fit = {"params": {"limb.damping": 0.5, "initial_angle": 0.1}, "base": describe_params(default_params("knee"))}
    >>> float(fitted_params(fit).limb.damping)
    0.5
    """
    out = _as_dict(fit)
    params = base_params(out, base)
    return with_overrides(params, {k: float(v) for k, v in out["params"].items() if has_param(params, k)})


def posterior_draws(fit, base=None, *, draws: int = DEFAULT_DRAWS, seed: int = 0) -> list:
    """``draws`` parameter sets from the fit's posterior (module doc, step 3); the NUTS draws when
    the fit has them (a uniform subsample), else the Laplace approximation on the logit scale."""
    out = _as_dict(fit)
    estimate = fitted_params(out, base)
    rng = np.random.default_rng(seed)
    samples = out.get("samples")
    paths = [p for p in out["params"] if has_param(estimate, p)]
    if samples:
        n = len(next(iter(samples.values())))
        pick = rng.choice(n, size=min(draws, n), replace=False) if draws < n else np.arange(n)
        return [with_overrides(estimate, {p: float(samples[p][i]) for p in paths if p in samples}) for i in pick]
    names, sd, corr, bounds = out.get("names"), out.get("sd"), out.get("correlations"), out.get("bounds")
    if not (names and sd and corr is not None and bounds):
        raise ParameterError(describe("fit JSON", "`samples`, or `names`, `sd`, `correlations` and `bounds` "
                                      "(the Laplace approximation)", f"keys {sorted(out)}",
                                      "refit with this version of myoreflex, which writes them"))
    index = [names.index(p) for p in paths if p in names and p in bounds]
    used = [names[i] for i in index]
    x = np.array([float(out["params"][p]) for p in used])
    low = np.array([bounds[p][0] for p in used], dtype=float)
    high = np.array([bounds[p][1] for p in used], dtype=float)
    x = np.clip(x, low + 1e-12 * (high - low), high - 1e-12 * (high - low))
    sd_x = np.array([float(sd[p]) for p in used])
    sd_z = sd_x * (high - low) / ((x - low) * (high - x))
    c = np.asarray(corr, dtype=float)[np.ix_(index, index)]
    cov = np.outer(sd_z, sd_z) * c + 1e-12 * np.eye(len(used))
    u = (x - low) / (high - low)
    z = rng.multivariate_normal(np.log(u / (1 - u)), cov, size=draws)
    values = low + (high - low) / (1.0 + np.exp(-z))
    return [with_overrides(estimate, dict(zip(used, map(float, row)))) for row in values]


@dataclasses.dataclass(frozen=True)
class SimulatedFit:
    """What :func:`simulate_fit` returns: ``estimate`` (the measures at the fitted values, a dict),
    ``median`` and ``ci95`` (per numeric measure, over the draws), ``draws`` (simulated),
    ``failed`` (draws that did not simulate or measure), ``treatments`` (as given), and the Trial
    at the estimate (``trial``)."""

    estimate: Mapping[str, Any]
    median: Mapping[str, float]
    ci95: Mapping[str, tuple[float, float]]
    draws: int
    failed: int
    treatments: tuple
    protocol: str
    trial: Any = None

    def as_dict(self) -> dict:
        """Plain JSON: estimate, median, ci95, draws, failed, treatments, protocol."""
        from myoreflex.measures import as_json

        return as_json({"protocol": self.protocol, "treatments": [str(t) for t in self.treatments],
                        "estimate": self.estimate, "median": self.median, "ci95": self.ci95,
                        "draws": self.draws, "failed": self.failed})


def _run(params_list: Sequence, protocol):
    """Trials of every parameter set, simulated as one batch; a protocol that adds what its measure
    reads beyond the simulated channels (``annotate``, as
    :meth:`~myoreflex.protocols.voluntary.VoluntaryMovement.annotate`) adds it to each."""
    from myoreflex.simulation import simulate_batch

    batch = simulate_batch(stack_params(list(params_list)), protocol)
    trials = [batch.trial(i) for i in range(len(batch))]
    annotate = getattr(protocol, "annotate", None)
    return trials if annotate is None else [annotate(t) for t in trials]


def release_path(fit) -> tuple[np.ndarray, np.ndarray, float, float] | None:
    """The recorded path before the release of a pendulum fit: ``(time, angle, release_time,
    release_angle)`` (s on the recording's clock, rad), or None when the fit has none (not a pendulum
    fit, or one written before the fit kept it).

    >>> fit = {"params": {"initial_angle": 0.3, "release_time": 2.0},
    ...        "data": {"release_path": {"time_s": [1.8, 1.9, 2.0, 2.1], "angle_deg": [16.0, 16.5, 17.2, 20.0]}}}
    >>> t, q, release, angle0 = release_path(fit)
    >>> t.tolist(), release, angle0
    ([1.8, 1.9, 2.0, 2.1], 2.0, 0.3)
    """
    from myoreflex.units import DEG

    out = _as_dict(fit)
    path = (out.get("data") or {}).get("release_path")
    params = out.get("params") or {}
    if not path or "initial_angle" not in params or "release_time" not in params:
        return None
    time = np.asarray(path["time_s"], dtype=float)
    angle = np.asarray(path["angle_deg"], dtype=float) * DEG
    if time.size < 2 or time.size != angle.size or not (np.all(np.isfinite(time)) and np.all(np.isfinite(angle))):
        raise ParameterError(describe("fit JSON `data.release_path`", "matching finite time_s and angle_deg lists",
                                      f"{time.size} times, {angle.size} angles"))
    return time, angle, float(params["release_time"]), float(params["initial_angle"])


def after_release_path(trial, path):
    """``trial`` (a swing simulated from its release at rest) put after the recorded ``path``
    (:func:`release_path`) on the recording's clock.

    Before the release, on the simulation's grid back to the path's start: the recorded (smoothed)
    angle, shifted by the fit's tie (under 0.1 deg) so that it ends at the release angle, and its
    velocity; the simulated channels the recording has no value for (torque, EMG, forces, afferents)
    are NaN there. At the release the leg is at rest at the release angle. Metadata
    ``release_time_s`` and ``release_path`` say so.
    """
    from myoreflex.trial import Channel, Trial

    path_time, path_angle, release, angle0 = path
    dt = float(trial.time[0]) if trial.time.size == 1 else float(trial.time[1] - trial.time[0])
    before = release - dt * np.arange(int(np.floor((release - path_time[0]) / dt + 1e-9)), 0, -1)
    shift = angle0 - float(np.interp(release, path_time, path_angle))
    recorded = {"angle": np.interp(before, path_time, path_angle) + shift,
                "angular_velocity": np.interp(before, path_time, np.gradient(path_angle, path_time))}
    at_release = {"angle": angle0, "angular_velocity": 0.0}
    channels = {}
    for name, channel in trial.channels.items():
        head = recorded.get(name, np.full(before.size, np.nan))
        channels[name] = Channel(np.concatenate([head, [at_release.get(name, np.nan)], channel.values]), channel.unit)
    time = np.concatenate([before, [release], release + trial.time])
    metadata = {**trial.metadata, "release_time_s": release,
                "release_path": "recorded, from the fit (myoreflex.fit.simulate_fit.release_path)"}
    return Trial(time=time, channels=channels, metadata=metadata, status=trial.status)


def _as_recorded(out: dict, protocol, as_recorded: bool | None):
    """The recorded path to put before each swing (module doc), or None."""
    path = release_path(out) if getattr(protocol, "name", None) == "pendulum" else None
    same_release = path is not None and math.isclose(float(protocol.release_angle), path[3], abs_tol=1e-12)
    if as_recorded is None:
        return path if same_release else None
    if as_recorded and not same_release:
        raise ParameterError(describe("simulate_fit as_recorded", "a pendulum fit with its recorded release path "
                                      "and a PendulumTest released from its initial_angle",
                                      f"protocol {getattr(protocol, 'name', protocol)!r}, "
                                      f"{'a path' if path is not None else 'no path'} in the fit"))
    return path if as_recorded else None


def _numbers(record) -> dict:
    values = record.as_dict() if hasattr(record, "as_dict") else dict(record)
    return {k: float(v) for k, v in values.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v is not None and math.isfinite(v)}


def simulate_fit(fit, protocol, treatments: Sequence = (), draws: int = DEFAULT_DRAWS, *, base=None,
                 seed: int = 0, as_recorded: bool | None = None, lenient: bool = False) -> SimulatedFit:
    """Re-simulate a fitted subject under ``protocol``, after ``treatments``, with the fit's uncertainty.

    Parameters
    ----------
    fit : a :class:`~myoreflex.fit.FitResult`, its JSON (dict or string) or a JSON file path.
    protocol : any protocol of :data:`myoreflex.protocols.PROTOCOLS`.
    treatments : ``"NAME[:DOSE]"`` strings or ``(name, dose)`` pairs, applied in order
        (:data:`myoreflex.treatments.TREATMENTS`).
    draws : posterior draws to simulate (0: the estimate alone).
    base : the parameter set the fit started from, when the JSON lacks ``base`` and ``subject``.
    seed : of the Laplace draws and the NUTS subsample.
    as_recorded : put the recorded path before the release in front of every simulated pendulum
        swing (module doc). None (default): when ``protocol`` is a pendulum test released from the
        fit's ``initial_angle`` and the fit kept the path; True: required (an error otherwise);
        False: never.
    lenient : measure a recording that fails a quality gate (the protocol's measure names the gate
        in its ``warnings``), e.g. a fitted leg still swinging when the recording's time is up.

    Returns
    -------
    SimulatedFit. Draws whose simulation failed (left the physical limits) or whose measure refused
    the recording are counted in ``failed`` and left out of the intervals.
    """
    from myoreflex.treatments import apply_treatments

    out = _as_dict(fit)
    path = _as_recorded(out, protocol, as_recorded)

    def run(params_list):
        trials = _run(params_list, protocol)
        return trials if path is None else [after_release_path(t, path) for t in trials]

    estimate = apply_treatments(fitted_params(out, base), treatments)
    trial = run([estimate])[0]
    options = {"lenient": True} if lenient else {}
    point = type(protocol).measure(trial, **options).as_dict()
    samples, failed = [], 0
    if draws > 0:
        sets = [apply_treatments(p, treatments) for p in posterior_draws(out, base, draws=draws, seed=seed)]
        for t in run(sets):
            try:
                if t.status.name != "OK":
                    raise ValueError(t.metadata.get("failure", "failed"))
                samples.append(_numbers(type(protocol).measure(t, **options)))
            except ValueError:
                failed += 1
    keys = sorted({k for s in samples for k in s})
    median, ci95 = {}, {}
    for key in keys:
        values = np.array([s[key] for s in samples if key in s])
        median[key] = float(np.median(values))
        ci95[key] = (float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5)))
    return SimulatedFit(estimate=point, median=median, ci95=ci95, draws=len(samples), failed=failed,
                        treatments=tuple(treatments), protocol=protocol.name, trial=trial)


__all__ = ["SimulatedFit", "after_release_path", "base_params", "describe_params", "fitted_params",
           "params_from_description", "posterior_draws", "release_path", "simulate_fit"]
