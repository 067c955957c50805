"""Measures of a voluntary movement: speed, duration, range, overshoot, corrections, co-contraction, effort.

Read from a :class:`~myoreflex.trial.Trial` of a fast movement towards a target (simulated by
:class:`myoreflex.protocols.voluntary.VoluntaryMovement` or recorded). Metadata used: ``mover`` and
``stretched`` (muscle names of ``emg_<muscle>``), ``direction`` (+1 when the movement goes towards
larger angles; default: the sign of the largest velocity), ``movement_onset_s`` (default 0).
A myoreflex simulation (``source`` "myoreflex simulation") without ``mover`` and ``stretched``, as
:func:`myoreflex.simulate` returns it, has its two EMG channels in the model's order (agonist,
antagonist) and a positive angle stretches the agonist (the angle convention of
:mod:`myoreflex.physiology.limb`), so the muscle that moves the joint towards larger angles is the
second: the mover is read from the direction.

- Movement start: the velocity towards the target rises through 5 % of its peak (the 2-5 %
  thresholds of reaching kinematics; Alt Murphy et al. 2011 Neurorehabil Neural Repair 25:71 use
  2 %). Movement end: the joint stays from then on within 5 % of its final excursion (at least
  1 deg), the final excursion being the mean over the last 0.1 s of the recording (a settling
  time, so that a slow creep or a correction lengthens the movement). Movement time: end - start;
  None when the joint never settles.
- Range: the final excursion from the start angle; overshoot: the largest excursion beyond it.
  Corrections: speed peaks after the first, up to the end, with a prominence above 10 % of the peak
  velocity (submovements, the "movement units" of Alt Murphy et al. 2011).
- Co-contraction index of Falconer & Winter 1985 Electromyogr Clin Neurophysiol 25:135 over the
  movement: ``CCI = 2 int min(E_m, E_s) / int (E_m + E_s) x 100 %``.
- Effort: the mover's integrated EMG (normalised excitation x s) from the start to the end of the
  movement.
- Stretch-reflex angle: the joint angle at which the stretched muscle's reflex EMG (its EMG less its
  descending command, where the Trial has ``command_<muscle>``; else the whole EMG, as in a recording,
  so that a braking command counts as reflex) first rises 0.01 above rest during the movement: the
  point past which the spastic antagonist resists, which limits the range of active control (Levin
  et al. 2000 Exp Brain Res 131:66). ``active_range_deg`` is the excursion up to it
  (the range itself when no reflex starts before the end).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.signal import find_peaks

from myoreflex.errors import RecordingError, describe
from myoreflex.measures import Record
from myoreflex.trial import Trial
from myoreflex.units import DEG

START_FRACTION = 0.05
FINAL_WINDOW_S = 0.1
SETTLE_FRACTION = 0.05
SETTLE_MIN = 1.0 * DEG
CORRECTION_PROMINENCE = 0.10
REFLEX_RISE = 0.01
SIMULATION = "myoreflex simulation"
"""The ``source`` metadata of a myoreflex simulation (:func:`myoreflex.simulate`)."""


@dataclasses.dataclass(frozen=True)
class VoluntaryMeasures(Record):
    """The measures of one voluntary movement (units in the names); ``metrics()`` gives the five of
    the command line's JSON."""

    peak_velocity_deg_s: float
    movement_time_s: float | None
    range_deg: float
    overshoot_deg: float
    corrections: int
    co_contraction_index: float
    effort: float
    stretch_reflex_angle_deg: float | None
    active_range_deg: float
    mover: str
    stretched: str
    method: str = "5 % of peak velocity; CCI of Falconer & Winter 1985; effort = mover's integrated EMG"

    def metrics(self) -> dict:
        """``{"peak_velocity_deg_s", "movement_time_s", "range_deg", "co_contraction_index", "effort"}``."""
        return {key: self.as_dict()[key] for key in ("peak_velocity_deg_s", "movement_time_s", "range_deg",
                                                     "co_contraction_index", "effort")}


def _integral(t: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(t))) if t.size > 1 else 0.0


def measure(trial: Trial) -> VoluntaryMeasures:
    """Measure one voluntary movement (module doc).

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.arange(0.0, 1.0, 1e-3)
    >>> s = np.clip((t - 0.2) / 0.4, 0, 1)
    >>> angle = np.radians(80 + 60 * (10 * s**3 - 15 * s**4 + 6 * s**5))   # minimum jerk, 60 deg in 0.4 s
    >>> channels = {"angle": Channel(angle, "rad"), "angular_velocity": Channel(np.gradient(angle, t), "rad/s"),
    ...             "emg_triceps": Channel(0.3 * (t > 0.2), "1"), "emg_biceps": Channel(0.05 * (t > 0.2), "1")}
    >>> meta = {"source": "demo", "mover": "triceps", "stretched": "biceps", "movement_onset_s": 0.2}
    >>> result = measure(Trial(t, channels, meta))
    >>> round(result.peak_velocity_deg_s), round(result.range_deg), round(result.co_contraction_index)
    (281, 60, 29)
    """
    t = trial.time
    meta = trial.metadata
    names = trial.emg_names()
    angle = trial["angle"]
    velocity = trial["angular_velocity"] if "angular_velocity" in trial.channels else np.gradient(angle, t)
    onset = float(meta.get("movement_onset_s") or 0.0)
    after = t >= onset
    direction = meta.get("direction")
    if direction is None and np.any(after):
        direction = float(np.sign(velocity[after][np.argmax(np.abs(velocity[after]))]))
    mover, stretched = meta.get("mover"), meta.get("stretched")
    if mover is None and stretched is None and meta.get("source") == SIMULATION and len(names) == 2 and direction:
        mover, stretched = (names[1], names[0]) if direction > 0 else (names[0], names[1])  # module doc
    if mover not in names or stretched not in names:
        raise RecordingError(describe(f"`{trial.source}`", "metadata `mover` and `stretched` naming two "
                                      "emg_<muscle> channels", f"mover {mover!r}, stretched {stretched!r}, EMG {names}"))
    v = float(direction or 0.0) * velocity
    if not np.any(after) or not np.max(v[after]) > 0:
        raise RecordingError(describe(f"`{trial.source}`", "a movement towards the target after the command",
                                      "no velocity towards it"))
    first = int(np.argmax(after))
    peak_index = first + int(np.argmax(v[after]))
    peak = float(v[peak_index])
    below = np.nonzero(v[first:peak_index] < START_FRACTION * peak)[0]
    start = first + (int(below[-1]) + 1 if below.size else 0)
    start_angle = float(angle[first])
    excursion = float(direction) * (angle - start_angle)
    final = float(np.mean(excursion[t >= t[-1] - FINAL_WINDOW_S]))
    tolerance = max(SETTLE_FRACTION * abs(final), SETTLE_MIN)
    outside = np.nonzero(np.abs(excursion[start:] - final) > tolerance)[0]
    settled = start + int(outside[-1]) + 1 if outside.size else start
    end = settled if settled < t.size - 1 else None
    stop = end if end is not None else t.size - 1
    range_deg = final / DEG
    overshoot = max(float(np.max(excursion[first:])) - final, 0.0) / DEG
    speed = np.abs(v[first:stop + 1])
    peaks, _ = find_peaks(np.concatenate([[0.0], speed, [0.0]]), prominence=CORRECTION_PROMINENCE * peak)
    corrections = max(int(peaks.size) - 1, 0)
    window = slice(start, stop + 1)
    e_m, e_s = trial[f"emg_{mover}"], trial[f"emg_{stretched}"]
    total = _integral(t[window], (e_m + e_s)[window])
    cci = 200.0 * _integral(t[window], np.minimum(e_m, e_s)[window]) / total if total > 0 else 0.0
    effort = _integral(t[window], e_m[window])
    reflex = e_s - trial[f"command_{stretched}"] if f"command_{stretched}" in trial.channels else e_s
    rest = float(np.mean(reflex[:first])) if first > 0 else float(reflex[0])
    rising = np.nonzero(reflex[start:stop + 1] > rest + REFLEX_RISE)[0]
    if rising.size:
        at = start + int(rising[0])
        reflex_angle = float(angle[at]) / DEG
        active = float(excursion[at]) / DEG
    else:
        reflex_angle, active = None, range_deg
    return VoluntaryMeasures(
        peak_velocity_deg_s=peak / DEG,
        movement_time_s=None if end is None else float(t[end] - t[start]),
        range_deg=range_deg,
        overshoot_deg=overshoot,
        corrections=corrections,
        co_contraction_index=float(cci),
        effort=float(effort),
        stretch_reflex_angle_deg=reflex_angle,
        active_range_deg=active,
        mover=mover,
        stretched=stretched,
    )


__all__ = ["VoluntaryMeasures", "measure"]
