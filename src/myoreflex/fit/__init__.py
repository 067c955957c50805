"""Parameter identification with uncertainty, from one or more Trials.

Public API::

    fit_pendulum(trial, params0, *, free=[...], window_s, dt, settings=FitSettings()) -> FitResult
    fit_passive_pendulum(trial, limb, *, free=["baseline_torque", "damping"], ...) -> FitResult
    fit_stretch(trials, params0, *, free=[...], emg=False, dt, settings=FitSettings()) -> FitResult
    fit_pendulum_and_stretch(pendulum, stretches, params0, *, free=[...], emg=True, ...) -> FitResult
    FitSettings(method="map" | "nuts", starts, seed, noise_sd, num_warmup, num_samples, num_chains, profile)
    fit_model(model, trials, params0, *, free, bounds, settings) -> FitResult   (any fit model)
    PendulumModel, StretchModel, JointModel: the fit models behind the fit functions
    passive_limb(mass, com_distance, inertia) -> LimbParams
    align_pendulum(trial, *, window_s) -> PendulumWindow
    swing_direction(trial) -> +1.0 | -1.0   (the sign that makes knee flexion positive)
    synthetic_pendulum(params, *, noise_sd_deg, seed) -> Trial
    synthetic_stretches(params, velocities_deg_s, *, noise_sd_nm, noise_sd_emg, seed) -> list[Trial]
    prepare_stretch(trial, *, dt, ...) -> StretchRecording
    FitResult (.to_dict(), .to_json(), .to_inference_data()), FittedTrace, NotIdentifiedWarning
    write_posterior(result, "post.nc") -> Path   (NUTS draws by chain, netCDF for arviz.from_netcdf)

A fit model is the contract of :mod:`myoreflex.fit.pipeline` (``prepare`` the recordings into
arrays, residuals as a pure JAX function); the pipeline does the rest. The fitters of ``cohort
fit`` are :class:`myoreflex.cohort.StretchFitter` and :class:`myoreflex.cohort.PendulumFitter`.
``FitSettings(method="nuts")`` needs NumPyro (the ``fit`` extra).
"""

from myoreflex.fit.core import METHODS, FitSettings
from myoreflex.fit.joint import JointModel, fit_pendulum_and_stretch
from myoreflex.fit.pendulum import (
    PendulumModel,
    PendulumWindow,
    align_pendulum,
    fit_passive_pendulum,
    fit_pendulum,
    passive_limb,
    swing_direction,
)
from myoreflex.fit.pipeline import FitModel, Prepared, fit_model
from myoreflex.fit.result import FitResult, FittedTrace, NotIdentifiedWarning, write_posterior
from myoreflex.fit.stretch import StretchModel, StretchRecording, fit_stretch, prepare_stretch
from myoreflex.fit.synthetic import synthetic_pendulum, synthetic_stretches

__all__ = [
    "METHODS",
    "FitModel",
    "FitResult",
    "FitSettings",
    "FittedTrace",
    "JointModel",
    "NotIdentifiedWarning",
    "PendulumModel",
    "PendulumWindow",
    "Prepared",
    "StretchModel",
    "StretchRecording",
    "align_pendulum",
    "fit_model",
    "fit_passive_pendulum",
    "fit_pendulum",
    "fit_pendulum_and_stretch",
    "fit_stretch",
    "passive_limb",
    "prepare_stretch",
    "swing_direction",
    "synthetic_pendulum",
    "synthetic_stretches",
    "write_posterior",
]
