"""Joint impedance from a small perturbation: inertia, viscosity and elasticity (the IBK model).

A joint moved through a small angle ``theta`` about a hold angle resists with a torque that,
for small movements, is close to a linear second-order system (Kearney & Hunter 1990, Crit Rev
Biomed Eng 18:55; the "IBK" model of intrinsic joint dynamics)::

    tau(t) = I theta''(t) + B theta'(t) + K (theta(t) - theta_hold) + tau_0

with ``I`` the inertia (kg m^2), ``B`` the viscosity (N m s/rad), ``K`` the elasticity (stiffness,
N m/rad) and ``tau_0`` the torque at the hold angle. Fitted by linear least squares over the
samples after ``steady_from_s`` (the perturbation's fade-in), with ``theta''`` the numerical
derivative of the angular velocity. ``vaf`` is the variance of the torque accounted for by the
fit (%), the usual measure of how far the joint is linear and second-order (Kearney & Hunter 1990);
a reflex response that is delayed and nonlinear lowers it, which is exactly what the
parallel-cascade methods that separate intrinsic and reflex stiffness exploit (Kearney, Stein &
Parameswaran 1997 IEEE TBME 44:493; Mirbagheri et al. 2000 Exp Brain Res 132:84).

One perturbation frequency alone cannot separate ``I`` from ``K`` (``theta'' = -w^2 theta``): the
signal needs several frequencies (a multisine, :class:`myoreflex.protocols.perturbation.MultisinePerturbation`,
or a random sequence). The measure refuses a recording whose regressors are collinear.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from myoreflex.errors import RecordingError, describe
from myoreflex.measures import Record
from myoreflex.trial import Trial
from myoreflex.units import DEG

KEARNEY_HUNTER = "Kearney & Hunter 1990 Crit Rev Biomed Eng 18:55 (IBK model, least squares)"
MIN_SAMPLES = 50
"""Samples needed after the fade-in: four parameters, and a VAF worth reporting."""
MAX_CONDITION = 1e3
"""Largest condition number of the regressors scaled to unit RMS: above it I and K (or B) are not
separable. A multisine over 0.5-8 Hz gives about 3; one sinusoid, whose acceleration is its angle
times -w^2 but for the error of a numerical derivative, about 1e4 at 1 kHz."""


@dataclasses.dataclass(frozen=True)
class ImpedanceMeasures(Record):
    """IBK estimates of one perturbation recording (SI at this edge, units in the names)."""

    stiffness_nm_per_rad: float
    viscosity_nm_s_per_rad: float
    inertia_kg_m2: float
    hold_torque_nm: float
    hold_angle_deg: float
    vaf_percent: float
    n_samples: int
    method: str = KEARNEY_HUNTER


def measure(trial: Trial, *, steady_from_s: float | None = None) -> ImpedanceMeasures:
    """Fit ``tau = I theta'' + B theta' + K (theta - theta_hold) + tau_0`` to a perturbation recording.

    Parameters
    ----------
    trial : Trial with ``angle`` (rad), ``torque`` (N m) and optionally ``angular_velocity`` (rad/s;
        else the derivative of the angle).
    steady_from_s : first time used; None: ``trial.steady_from_s``, else the Trial's start.
        ``theta_hold`` is ``trial.hold_angle_deg``, else the mean angle.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.arange(0, 4, 1e-3)
    >>> angle = 0.02 * np.sin(2 * np.pi * t) + 0.01 * np.sin(2 * np.pi * 7 * t)
    >>> velocity = np.gradient(angle, t)
    >>> torque = 0.05 * np.gradient(velocity, t) + 0.3 * velocity + 12.0 * angle
    >>> result = measure(Trial(t, {"angle": Channel(angle, "rad"), "angular_velocity": Channel(velocity, "rad/s"),
    ...                            "torque": Channel(torque, "N m")}))
    >>> round(result.stiffness_nm_per_rad, 2), round(result.viscosity_nm_s_per_rad, 2), round(result.inertia_kg_m2, 3)
    (12.0, 0.3, 0.05)
    """
    source = trial.source
    for name in ("angle", "torque"):
        if name not in trial:
            raise RecordingError(describe(f"`{source}`, channel `{name}`", "a perturbation recording with angle "
                                          "and torque", f"channels {sorted(trial.channels)}"))
    start = next(v for v in (steady_from_s, trial.steady_from_s, trial.time[0]) if v is not None)
    keep = trial.time >= start
    if np.sum(keep) < MIN_SAMPLES:
        raise RecordingError(describe(f"`{source}`", f"at least {MIN_SAMPLES} samples after {start:g} s",
                                      int(np.sum(keep))))
    angle = trial["angle"]
    velocity = trial["angular_velocity"] if "angular_velocity" in trial else np.gradient(angle, trial.time)
    acceleration = np.gradient(velocity, trial.time)
    torque = trial["torque"]
    for name, values in (("angle", angle), ("angular_velocity", velocity), ("torque", torque)):
        if not np.all(np.isfinite(values[keep])):
            raise RecordingError(describe(f"`{source}`, channel `{name}`", "finite values", "NaN or inf"))
    hold_deg = trial.hold_angle_deg
    hold = float(np.mean(angle[keep])) if hold_deg is None else float(hold_deg) * DEG
    regressors = np.column_stack([acceleration[keep], velocity[keep], angle[keep] - hold, np.ones(int(np.sum(keep)))])
    scale = np.maximum(np.sqrt(np.mean(regressors**2, axis=0)), 1e-300)
    if np.linalg.cond(regressors / scale) > MAX_CONDITION:
        raise RecordingError(describe(f"`{source}`", "a perturbation with several frequencies (I, B and K separable)",
                                      "collinear angle, velocity and acceleration",
                                      "one sinusoid cannot separate inertia from stiffness"))
    coefficients, *_ = np.linalg.lstsq(regressors / scale, torque[keep], rcond=None)
    inertia, viscosity, stiffness, offset = coefficients / scale
    residual = torque[keep] - regressors @ (coefficients / scale)
    variance = np.var(torque[keep])
    vaf = 100.0 * (1.0 - np.var(residual) / variance) if variance > 0 else float("nan")
    return ImpedanceMeasures(
        stiffness_nm_per_rad=float(stiffness),
        viscosity_nm_s_per_rad=float(viscosity),
        inertia_kg_m2=float(inertia),
        hold_torque_nm=float(offset),
        hold_angle_deg=float(hold / DEG),
        vaf_percent=float(vaf),
        n_samples=int(np.sum(keep)),
    )
