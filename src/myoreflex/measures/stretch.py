"""Measures on one stretch Trial: peak resisting torque, peak EMG and the EMG onset angle.

The onset angle is the dynamic stretch reflex threshold (DSRT) of Levin & Feldman 1994: the joint
angle at EMG onset of the stretched muscle while the joint is being stretched (ANCHORS 6), the one
reflex-onset angle of myoreflex, :func:`myoreflex.measures.threshold.dsrt` (Hodges & Bui 1996
onset on the rest before the stretch; an onset only after the movement ended is no DSRT).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from myoreflex.errors import RecordingError, describe
from myoreflex.measures import Record
from myoreflex.measures.decomposition import stretch_phases
from myoreflex.measures.threshold import dsrt
from myoreflex.trial import Trial
from myoreflex.units import DEG


@dataclasses.dataclass(frozen=True)
class StretchMeasures(Record):
    """Peak torque (N m) and peak EMG of the stretched muscle once the joint is at speed; the EMG
    onset time (s) and the DSRT (deg), None without a reflex while stretching.

    ``velocity_deg_s`` is the programmed velocity (the Trial's metadata; None for a recording
    without it), ``plateau_velocity_deg_s`` the measured one.
    """

    velocity_deg_s: float | None
    peak_torque_nm: float
    peak_emg: float
    emg_onset_s: float | None
    emg_onset_angle_deg: float | None
    muscle: str
    plateau_velocity_deg_s: float


def measure(trial: Trial, *, muscle: str | None = None, method: str = "hodges_bui", **method_params
            ) -> StretchMeasures:
    """Measure one stretch; ``muscle`` defaults to the first EMG channel (the stretched agonist).

    Peak torque and peak EMG are taken from when the joint is at speed (P1 of
    :func:`~myoreflex.measures.decomposition.stretch_phases`, the velocity at 98 % of its plateau)
    and not before the stretch onset, so that the inertial spike of a fast motor start does not
    pass for resistance. ``method`` and ``method_params`` choose the EMG onset rule of
    :func:`~myoreflex.measures.threshold.dsrt`.

    Examples
    --------
    A reflex that starts only once the joint is held has an onset but no DSRT:

    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.arange(0.0, 2.5, 1e-3)
    >>> angle = np.clip(t - 0.5, 0.0, 1.0)               # 0 -> 1 rad at 1 rad/s, held from 1.5 s
    >>> late = 0.2 * (t > 1.8)                           # EMG (normalised) from 1.8 s
    >>> channels = {"angle": Channel(angle, "rad"), "torque": Channel(2.0 * angle, "N m"),
    ...             "emg_triceps": Channel(late, "1")}
    >>> result = measure(Trial(t, channels, {"source": "demo", "velocity_deg_s": 57.3}))
    >>> round(result.emg_onset_s, 2), result.emg_onset_angle_deg, result.peak_torque_nm, result.velocity_deg_s
    (1.8, None, 2.0, 57.3)
    """
    names = trial.emg_names()
    if not names:
        raise RecordingError(describe(f"`{trial.source}`", "at least one emg_<muscle> channel", "none"))
    muscle = muscle or names[0]
    reflex = dsrt(trial, muscle=muscle, method=method, **method_params)
    phases = stretch_phases(trial)
    start = trial.time[phases.p0] if trial.stretch_onset_s is None else trial.stretch_onset_s
    moving = trial.time >= max(start, trial.time[phases.p1])
    return StretchMeasures(
        velocity_deg_s=trial.velocity_deg_s,
        peak_torque_nm=float(phases.direction * np.max(phases.direction * trial["torque"][moving])),
        peak_emg=float(np.max(trial[f"emg_{muscle}"][moving])),
        emg_onset_s=reflex.onset_s,
        emg_onset_angle_deg=reflex.dsrt_deg,
        muscle=muscle,
        plateau_velocity_deg_s=phases.plateau_velocity / DEG,
    )
