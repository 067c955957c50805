"""Synthetic pendulum and stretch recordings with known parameters, for parameter-recovery checks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from myoreflex.errors import ParameterError, describe
from myoreflex.model import ReflexParams
from myoreflex.protocols.pendulum import PendulumTest
from myoreflex.protocols.stretch import MotorizedStretch
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG


def synthetic_pendulum(
    params: ReflexParams,
    *,
    noise_sd_deg: float = 1.0,
    seed: int = 0,
    duration_s: float = 6.0,
    hold_s: float = 0.3,
    rate_hz: float = 100.0,
    release_angle: float = 0.0,
    dt: float = 1e-3,
) -> Trial:
    """A pendulum test of ``params`` as an electrogoniometer would record it.

    The leg is held at ``release_angle`` (rad) for ``hold_s`` seconds, then released and simulated
    with :class:`~myoreflex.protocols.pendulum.PendulumTest` at step ``dt`` for ``duration_s``;
    the angle is sampled at ``rate_hz`` and white Gaussian noise of sd ``noise_sd_deg`` is added
    (an electrogoniometer's error is of the order of 1 deg; its drift and offset are not modelled).
    The noise comes from ``numpy.random.default_rng(seed)``.

    Examples
    --------
    >>> from myoreflex.model import default_params
    >>> trial = synthetic_pendulum(default_params("knee"), duration_s=2.0)
    >>> round(float(trial.time[1] - trial.time[0]), 3), trial.metadata["release_time_s"]
    (0.01, 0.3)
    """
    simulated = PendulumTest(release_angle, duration_s).run(params, dt=dt, record=("angle",))
    after = np.arange(1, round(duration_s * rate_hz) + 1) / rate_hz
    swing = np.interp(
        after, np.concatenate([[0.0], simulated.time]), np.concatenate([[release_angle], simulated["angle"]])
    )
    n_hold = round(hold_s * rate_hz)
    time = np.concatenate([np.arange(n_hold + 1) / rate_hz, hold_s + after])
    clean = np.concatenate([np.full(n_hold + 1, float(release_angle)), swing])
    noise = np.random.default_rng(seed).standard_normal(clean.size) * noise_sd_deg * DEG
    metadata = {
        "source": f"synthetic pendulum (seed {seed}, noise {noise_sd_deg:g} deg)",
        "joint": "knee",
        "rate_hz": rate_hz,
        "noise_sd_deg": noise_sd_deg,
        "release_time_s": hold_s,
    }
    return Trial(time, {"angle": Channel(clean + noise, "rad")}, metadata)


def synthetic_stretches(
    params: ReflexParams,
    velocities_deg_s: Sequence[float] = (60.0, 120.0, 180.0),
    *,
    noise_sd_nm: float = 0.2,
    noise_sd_emg: float = 0.005,
    seed: int = 0,
    rest_s: float = 0.2,
    hold_s: float = 0.2,
    angles_deg: tuple[float, float] | None = None,
    rate_hz: float = 500.0,
    dt: float = 2e-3,
) -> list[Trial]:
    """Motorized stretches of ``params`` at each velocity, as a motor with a torque sensor records them.

    Each stretch (:class:`~myoreflex.protocols.stretch.MotorizedStretch`: rest ``rest_s``, a
    constant-velocity ramp over ``angles_deg`` (default: the joint's range), hold ``hold_s``) is
    simulated at step ``dt`` and sampled at ``rate_hz`` (a multiple of ``1 / dt`` apart). The angle
    is kept exact (an encoder); white Gaussian noise of sd ``noise_sd_nm`` is added to the torque and
    of sd ``noise_sd_emg`` to every ``emg_<muscle>`` channel (normalised excitation, unit ``1``).
    The noise comes from ``numpy.random.default_rng(seed)``.

    Examples
    --------
    >>> from myoreflex.model import default_params
    >>> trials = synthetic_stretches(default_params("elbow"), [90.0])
    >>> trials[0].unit("torque"), trials[0].metadata["velocity_deg_s"]
    ('N m', 90.0)
    """
    every = round(1.0 / (rate_hz * dt))
    if every < 1 or abs(every * dt * rate_hz - 1.0) > 1e-9:
        raise ParameterError(
            describe("rate_hz", f"1 / dt divided by a whole number (dt = {dt:g} s)", rate_hz)
        )
    rng = np.random.default_rng(seed)
    angles = None if angles_deg is None else (angles_deg[0] * DEG, angles_deg[1] * DEG)
    trials = []
    for velocity in velocities_deg_s:
        protocol = MotorizedStretch(velocity=velocity * DEG, angles=angles, rest_before=rest_s, hold=hold_s)
        clean = protocol.run(params, dt=dt, record=("angle", "torque", "emg"))
        keep = slice(every - 1, None, every)
        channels = {"angle": Channel(clean["angle"][keep], "rad")}
        channels["torque"] = Channel(
            clean["torque"][keep] + noise_sd_nm * rng.standard_normal(clean.time[keep].size), "N m"
        )
        for muscle in clean.emg_names():
            values = clean[f"emg_{muscle}"][keep]
            channels[f"emg_{muscle}"] = Channel(values + noise_sd_emg * rng.standard_normal(values.size), "1")
        metadata = {
            "source": f"synthetic stretch {velocity:g} deg/s (seed {seed})",
            "joint": params.joint,
            "protocol": "motorized_stretch",
            "velocity_deg_s": float(velocity),
            "stretch_onset_s": rest_s,
            "rate_hz": rate_hz,
            "noise_sd_nm": noise_sd_nm,
            "noise_sd_emg": noise_sd_emg,
        }
        trials.append(Trial(clean.time[keep], channels, metadata))
    return trials
