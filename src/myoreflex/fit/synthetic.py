"""Synthetic pendulum recordings with known parameters, for parameter-recovery checks of the fit."""

from __future__ import annotations

import numpy as np

from myoreflex.model import ReflexParams
from myoreflex.protocols.pendulum import PendulumTest
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
    >>> trial = synthetic_pendulum(default_params("knee"), duration_s=2.0)  # doctest: +SKIP
    >>> round(trial.time[1] - trial.time[0], 3)                            # doctest: +SKIP
    0.01
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
