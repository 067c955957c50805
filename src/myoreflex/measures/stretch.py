"""Measures on one stretch Trial: peak resisting torque, peak EMG and the EMG onset angle.

The onset angle is the dynamic stretch reflex threshold (DSRT) of Levin & Feldman 1994: the joint
angle at EMG onset of the stretched muscle (ANCHORS 6). Onset by the Hodges & Bui rule on the
rest before the stretch (see :mod:`myoreflex.measures.emg`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from myoreflex.errors import RecordingError, describe
from myoreflex.measures.emg import onset_threshold
from myoreflex.trial import Trial
from myoreflex.units import DEG

ONSET_FLOOR = 0.01
"""Smallest EMG rise counted as a reflex (normalised excitation, 1 % of maximum): simulated EMG has
no noise, so mean + 3 SD alone would flag numerical ripple."""


@dataclasses.dataclass(frozen=True)
class StretchSummary:
    """Peak torque (N m), peak EMG of the stretched muscle, EMG onset time and angle (or None)."""

    velocity_deg_s: float | None
    peak_torque_nm: float
    peak_emg: float
    emg_onset_s: float | None
    emg_onset_angle_deg: float | None
    muscle: str

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def summarize(trial: Trial, *, muscle: str | None = None, baseline: tuple[float, float] | None = None) -> StretchSummary:
    """Summarise a stretch; ``muscle`` defaults to the first EMG channel (the stretched agonist)."""
    source = trial.metadata.get("source", "trial")
    names = trial.emg_names()
    if not names:
        raise RecordingError(describe(f"`{source}`", "at least one emg_<muscle> channel", "none"))
    muscle = muscle or names[0]
    emg = trial[f"emg_{muscle}"]
    onset_time = trial.metadata.get("stretch_onset_s", trial.time[0] + 0.3)
    baseline = baseline or (float(trial.time[0]), float(onset_time))
    onset = onset_threshold(trial.time, emg, baseline=baseline, floor=ONSET_FLOOR)
    # Peak torque after the initial acceleration (from when the velocity first reaches 98 % of
    # its peak), so the inertial spike of a fast motor start does not pass for resistance.
    velocity = np.abs(trial["angular_velocity"]) if "angular_velocity" in trial else np.abs(
        np.gradient(trial["angle"], trial.time))
    at_speed = int(np.argmax(velocity >= 0.98 * velocity.max()))
    moving = trial.time >= max(onset_time, trial.time[at_speed])
    return StretchSummary(
        velocity_deg_s=trial.metadata.get("velocity_deg_s"),
        peak_torque_nm=float(np.max(trial["torque"][moving])),
        peak_emg=float(np.max(emg[moving])),
        emg_onset_s=onset.time,
        emg_onset_angle_deg=None if onset.index is None else float(trial["angle"][onset.index] / DEG),
        muscle=muscle,
    )
