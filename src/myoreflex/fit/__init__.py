"""Parameter identification with uncertainty, from one or more Trials.

Public API::

    fit_pendulum(trial, params0, *, free=[...], method="map" | "nuts", ...) -> FitResult
    fit_passive_pendulum(trial, limb, *, free=["baseline_torque", "damping"], ...) -> FitResult
    fit_stretch(trials, params0, *, free=[...], emg=False, method="map" | "nuts", ...) -> FitResult
    passive_limb(mass, com_distance, inertia) -> LimbParams
    align_pendulum(trial, *, window_s) -> PendulumWindow
    synthetic_pendulum(params, *, noise_sd_deg, seed) -> Trial
    synthetic_stretches(params, velocities_deg_s, *, noise_sd_nm, noise_sd_emg, seed) -> list[Trial]
    prepare_stretch(trial, *, dt, ...) -> StretchRecording
    StretchFitter(joint=..., free=..., emg=...)(trials, row) -> result columns (cohort_fit)
    PendulumFitter(free=..., condition=...)(trials, row) -> result columns (cohort_fit)
    FitResult (.to_dict(), .to_json()), FittedTrace, NotIdentifiedWarning

``method="nuts"`` needs NumPyro (the ``fit`` extra).
"""

from myoreflex.fit.pendulum import (
    METHODS,
    PendulumFitter,
    PendulumWindow,
    align_pendulum,
    fit_passive_pendulum,
    fit_pendulum,
    passive_limb,
)
from myoreflex.fit.result import FitResult, FittedTrace, NotIdentifiedWarning
from myoreflex.fit.stretch import StretchFitter, StretchRecording, fit_stretch, prepare_stretch
from myoreflex.fit.synthetic import synthetic_pendulum, synthetic_stretches

__all__ = [
    "METHODS",
    "FitResult",
    "FittedTrace",
    "NotIdentifiedWarning",
    "PendulumFitter",
    "PendulumWindow",
    "StretchFitter",
    "StretchRecording",
    "align_pendulum",
    "fit_passive_pendulum",
    "fit_pendulum",
    "fit_stretch",
    "passive_limb",
    "prepare_stretch",
    "synthetic_pendulum",
    "synthetic_stretches",
]
