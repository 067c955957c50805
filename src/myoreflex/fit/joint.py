"""Fit one parameter set to several kinds of recording of the same limb at once.

A pendulum test fixes the reflex's torque only relative to the shank's inertia: with the inertia
20-30 % off, the fitted gain is off by its -1.4th power and fits the swing as well
(``benchmarks/RESULTS.md`` run M). A motorised stretch of the same knee measures torque, and its
EMG, normalised to a maximal voluntary contraction (unit ``1``, the model's excitation), measures
the reflex's excitation itself; fitted together with the swing, they pin down what the swing
alone cannot. The likelihood is the product of the parts' (their residuals concatenated, each
channel with its own noise sd, :class:`~myoreflex.fit.pipeline.NoiseModel`)::

    log L(theta) = sum_parts log L_part(theta, nuisance_part)

:class:`JointModel` is a fit model (the contract of :mod:`myoreflex.fit.pipeline`) made of other
fit models, each given its own recordings; :func:`fit_pendulum_and_stretch` is the knee's
pendulum with motorised stretches (:class:`~myoreflex.fit.pendulum.PendulumModel` and
:class:`~myoreflex.fit.stretch.StretchModel`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from myoreflex import model, runtime
from myoreflex.errors import RecordingError, describe
from myoreflex.fit import pipeline
from myoreflex.fit.core import DEFAULT_SETTINGS, FitSettings
from myoreflex.fit.pendulum import DEFAULT_FREE as PENDULUM_FREE
from myoreflex.fit.pendulum import PendulumModel, flag_release_drift, with_release_angle
from myoreflex.fit.pipeline import Prepared
from myoreflex.fit.result import FitResult
from myoreflex.fit.stretch import StretchModel
from myoreflex.trial import Trial


@dataclasses.dataclass(frozen=True)
class JointModel:
    """Fit models sharing one parameter set: ``models[i]`` takes the next ``counts[i]`` recordings.

    The parts' residuals, channels, series and nuisance parameters follow one another in the order
    of ``models``; ``description`` and ``settings`` merge the parts' (and keep each under ``parts``);
    ``report`` merges the parts' reports, each made from its own residuals and channels.

    Examples
    --------
    >>> JointModel((PendulumModel(), StretchModel(emg=True)), (1, 2)).counts
    (1, 2)
    """

    models: tuple
    counts: tuple[int, ...]

    def __post_init__(self):
        if len(self.models) != len(self.counts) or any(c < 1 for c in self.counts):
            raise RecordingError(describe("joint fit", "one count >= 1 of recordings per model",
                                          f"{len(self.models)} models, counts {list(self.counts)}"))

    def prepare(self, trials: Sequence[Trial], params0) -> Prepared:
        """Each model prepares its recordings; the residuals, channels and series are laid end to end."""
        if len(trials) != sum(self.counts):
            raise RecordingError(describe("joint fit", f"{sum(self.counts)} recordings "
                                          f"({' + '.join(map(str, self.counts))})", f"{len(trials)}"))
        edges = np.cumsum((0, *self.counts))
        parts = [m.prepare(list(trials[edges[i] : edges[i + 1]]), params0) for i, m in enumerate(self.models)]
        series, channels, start = [], [], 0
        for part in parts:
            series += [dataclasses.replace(s, channel=s.channel + len(channels), start=s.start + start)
                       for s in part.series]
            channels += part.channels
            start += part.n_residuals
        return Prepared(
            residuals=None,  # each part carries its own (pipeline.evaluator)
            data={f"part{i}": p.data for i, p in enumerate(parts)},
            n_residuals=start,
            channels=tuple(channels),
            series=tuple(series),
            description={**{k: v for p in parts for k, v in p.description.items()},
                         "parts": [dict(p.description) for p in parts]},
            what=" with ".join(p.what for p in parts),
            settings={**{k: v for p in parts for k, v in p.settings.items()},
                      "model": "joint: " + " + ".join(str(p.settings.get("model")) for p in parts),
                      "parts": [dict(p.settings) for p in parts]},
            nuisance=tuple(n for p in parts for n in p.nuisance),
            warnings=tuple(w for p in parts for w in p.warnings),
            parts=tuple(parts),
        )

    def report(self, prepared: Prepared, fit) -> dict:
        """The parts' reports merged (a later part's keys after an earlier one's; ``diagnostics`` and
        ``noise_sd``, each channel's in its unit, merged), each made from its own residuals and channels."""
        merged: dict = {"diagnostics": {}}
        start = first_channel = 0
        for model_, part in zip(self.models, prepared.parts):
            stop, channels = start + part.n_residuals, slice(first_channel, first_channel + len(part.channels))
            view = dataclasses.replace(fit, residuals=np.asarray(fit.residuals)[start:stop],
                                       noise_sd=np.asarray(fit.noise_sd)[channels],
                                       white_noise_sd=np.asarray(fit.white_noise_sd)[channels],
                                       autocorrelation_time=np.asarray(fit.autocorrelation_time)[channels])
            report = dict(model_.report(part, view)) if hasattr(model_, "report") else {}
            merged["diagnostics"].update(report.pop("diagnostics", {}))
            noise_sd = report.pop("noise_sd", None) or {c.label: float(sd / c.scale)
                                                        for c, sd in zip(part.channels, view.noise_sd)}
            merged["noise_sd"] = {**merged.get("noise_sd", {}), **noise_sd}
            merged.update(report)
            start, first_channel = stop, channels.stop
        return merged


@runtime.float64
def fit_pendulum_and_stretch(
    pendulum: Trial,
    stretches: Sequence[Trial],
    params0: model.ReflexParams,
    *,
    free: Sequence[str] = PENDULUM_FREE,
    emg: bool = True,
    window_s: float | None = 5.0,
    dt: float = 2e-3,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    settings: FitSettings = DEFAULT_SETTINGS,
    lenient: bool = False,
) -> FitResult:
    """Fit one knee's pendulum test and its motorised stretches together (module doc).

    Parameters
    ----------
    pendulum : the pendulum Trial (as :func:`~myoreflex.fit.pendulum.fit_pendulum` takes it).
    stretches : motorised stretches of the same knee (as :func:`~myoreflex.fit.stretch.fit_stretch`
        takes them: ``angle``, ``torque`` and, with ``emg``, the stretched muscle's EMG).
    params0 : knee :class:`~myoreflex.model.ReflexParams`: the fixed parameters and the start and
        prior centre of the free ones.
    free : dotted paths to estimate; default the pendulum's (:data:`myoreflex.fit.pendulum.DEFAULT_FREE`).
    emg : also compare the stretched muscle's EMG (unit 1: normalised to a maximal contraction,
        compared with the excitation; V: through a profiled offset and scale, which then carries no
        scale of the reflex).
    window_s, dt, bounds, settings, lenient : as in :func:`~myoreflex.fit.pendulum.fit_pendulum`;
        ``dt`` is the step of both simulations.

    Returns
    -------
    FitResult with the pendulum's ``rmse_deg`` and the stretches' ``rmse_nm``, the release angle
    (``params["initial_angle"]``), traces of every channel of every recording.

    Examples
    --------
    The fit itself is skipped in the doc tests (it compiles both models' Jacobians, about a minute):

    >>> from myoreflex import apply_condition, default_params
    >>> from myoreflex.fit import synthetic_pendulum, synthetic_stretches
    >>> truth = apply_condition(default_params("knee"), "cerebral_palsy", 0.7)
    >>> swing, stretches = synthetic_pendulum(truth, seed=1), synthetic_stretches(truth, [60.0, 180.0], seed=1)
    >>> result = fit_pendulum_and_stretch(swing, stretches, truth)  # doctest: +SKIP
    """
    stretches = list(stretches)
    if not stretches:
        raise RecordingError(describe("stretches", "one motorised stretch of the same knee or more", "none"))
    swing = PendulumModel(window_s=window_s, dt=dt, lenient=lenient)
    joint = JointModel((swing, StretchModel(emg=emg, dt=dt, lenient=lenient)), (1, len(stretches)))
    result = pipeline.run(joint, [pendulum, *stretches], params0, free=free, bounds=bounds, settings=settings)
    return flag_release_drift(with_release_angle(result), swing.release_time_sd_s)
