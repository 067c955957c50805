"""Parameter identification with uncertainty, from one or more Trials.

Public API::

    fit_pendulum(trial, params0, *, free=[...], method="map" | "nuts", ...) -> FitResult
    fit_passive_pendulum(trial, limb, *, free=["baseline_torque", "damping"], ...) -> FitResult
    passive_limb(mass, com_distance, inertia) -> LimbParams
    align_pendulum(trial, *, window_s) -> PendulumWindow
    synthetic_pendulum(params, *, noise_sd_deg, seed) -> Trial
    FitResult (.to_dict(), .to_json()), NotIdentifiedWarning

``method="nuts"`` needs NumPyro (the ``fit`` extra).
"""

from myoreflex.fit.pendulum import (
    METHODS,
    PendulumWindow,
    align_pendulum,
    fit_passive_pendulum,
    fit_pendulum,
    passive_limb,
)
from myoreflex.fit.result import FitResult, NotIdentifiedWarning
from myoreflex.fit.synthetic import synthetic_pendulum

__all__ = [
    "METHODS",
    "FitResult",
    "NotIdentifiedWarning",
    "PendulumWindow",
    "align_pendulum",
    "fit_passive_pendulum",
    "fit_pendulum",
    "passive_limb",
    "synthetic_pendulum",
]
