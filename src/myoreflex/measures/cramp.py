"""Cramp measures: discharge times of motor units and the end of their drive in, cramp detection,
duration, firing rates and the cramp threshold frequency out.

A cramp is involuntary activity that outlasts its drive (Minetto et al. 2013; Miller & Knight 2009):
after an electrical stimulation train or a voluntary contraction ends, motor units keep discharging.
Given the discharge times of the units (recorded or simulated: :class:`DischargeTimes`) and the time
the drive ended:

- the cramp's activity is the run of pooled discharges from the first one after the drive's end,
  continued while successive pooled discharges are less than ``max_gap_s`` = 1 s apart (a pause of
  1 s, longer than the longest interval of a unit firing at the lowest cramp rate of 6 pps, Minetto
  et al. 2009, ends it);
- a cramp is detected when that activity lasts at least ``min_outlast_s`` = 1 s past the drive's end:
  longer than the brief after-discharge of a peripheral (nerve-blocked) cramp, 2.6 +- 1.3 s at its
  longest (Minetto et al. 2011), would be a stricter choice; 1 s separates the model's reflex
  after-discharge (< 0.3 s) from a self-sustained one;
- its duration is from the drive's end to the last discharge of that run (s);
- the mean firing rate is the mean over units with at least :data:`MIN_DISCHARGES` discharges in the
  run of each unit's mean rate (discharges minus one over their span, pps); ``min_rate_pps`` and
  ``max_rate_pps`` average each unit's lowest and highest instantaneous rate, as Minetto et al. 2009
  report them (6.0 +- 0.8 and 25.0 +- 8.0 pps; mean 14.5 +- 5.1 pps).

The cramp threshold frequency (:func:`threshold_frequency`) is the lowest train frequency after which
a cramp was detected, trains rising in 2 Hz steps from 4 Hz (Miller & Knight 2009, 2012); None when
no train of the protocol cramped.

References: Miller KC, Knight KL (2009) Muscle Nerve 39:364. Minetto MA, Holobar A, Botter A, Farina D
(2009) J Neurophysiol 102:1890; Minetto et al. (2011) J Physiol 589:5759; (2013) Exerc Sport Sci Rev
41:3.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from myoreflex.errors import ParameterError, describe
from myoreflex.measures import Record
from myoreflex.measures.motor_units import DischargeTimes

MIN_OUTLAST_S = 1.0
"""Activity must outlast the drive by this long (s) to count as a cramp."""
MAX_GAP_S = 1.0
"""A pause of the pooled discharges this long (s) ends the cramp."""
MIN_DISCHARGES = 5
"""Fewest discharges of a unit in the cramp whose rate is counted (four intervals)."""


@dataclasses.dataclass(frozen=True)
class CrampMeasures(Record):
    """Whether activity outlasted its drive, for how long (s), and the units' rates during it (pps)."""

    cramp: bool
    duration_s: float | None
    mean_firing_rate_pps: float | None
    min_rate_pps: float | None
    max_rate_pps: float | None
    n_units: int
    method: str = "activity outlasting its drive by >= 1 s, ended by a 1 s pause (Minetto et al. 2009, 2011)"


def _check(units: DischargeTimes, drive_end_s, min_outlast_s, max_gap_s):
    if not isinstance(units, DischargeTimes):
        raise ParameterError(describe("`units`", "DischargeTimes", type(units).__name__))
    for name, value in (("drive_end_s", drive_end_s), ("min_outlast_s", min_outlast_s), ("max_gap_s", max_gap_s)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            raise ParameterError(describe(f"`{name}`", "a finite time in s", repr(value)))
    if min_outlast_s < 0 or max_gap_s <= 0:
        raise ParameterError(describe("`min_outlast_s`, `max_gap_s`", "min_outlast_s >= 0 and max_gap_s > 0",
                                      (min_outlast_s, max_gap_s)))


def measure(units: DischargeTimes, drive_end_s: float, *, min_outlast_s: float = MIN_OUTLAST_S,
            max_gap_s: float = MAX_GAP_S) -> CrampMeasures:
    """Detect a cramp after a drive ends and measure its duration and firing rates.

    Parameters
    ----------
    units : discharge times (s) of each motor unit.
    drive_end_s : when the drive (stimulation train, voluntary contraction) ended (s).
    min_outlast_s : activity must outlast the drive by at least this long (s) to be a cramp.
    max_gap_s : a pause of the pooled discharges this long (s) ends the cramp.

    Returns
    -------
    CrampMeasures; without a cramp, ``duration_s`` and the rates are None.

    Examples
    --------
    >>> after = 2.0 + np.arange(0.0, 5.0, 0.1)            # one unit at 10 pps for 5 s after the drive
    >>> units = DischargeTimes.from_mapping({"MU1": np.r_[0.5, 1.0, after]})
    >>> out = measure(units, drive_end_s=2.0)
    >>> out.cramp, round(out.duration_s, 2), round(out.mean_firing_rate_pps, 1)
    (True, 4.9, 10.0)
    >>> measure(DischargeTimes.from_mapping({"MU1": [0.5, 1.0, 2.1]}), 2.0).cramp
    False
    """
    _check(units, drive_end_s, min_outlast_s, max_gap_s)
    trains = {name: np.asarray(times, dtype=float) for name, times in zip(units.units, units.times)}
    pooled = np.sort(np.concatenate([t[t > drive_end_s] for t in trains.values()] or [np.empty(0)]))
    if pooled.size == 0 or pooled[0] - drive_end_s >= max_gap_s:
        return CrampMeasures(False, None, None, None, None, 0)
    gaps = np.flatnonzero(np.diff(pooled) >= max_gap_s)
    end = float(pooled[gaps[0]] if gaps.size else pooled[-1])
    duration = end - drive_end_s
    if duration < min_outlast_s:
        return CrampMeasures(False, None, None, None, None, 0)
    means, lows, highs = [], [], []
    for times in trains.values():
        run = times[(times > drive_end_s) & (times <= end)]
        if run.size < MIN_DISCHARGES:
            continue
        rates = 1.0 / np.diff(run)
        means.append((run.size - 1) / (run[-1] - run[0]))
        lows.append(rates.min())
        highs.append(rates.max())
    if not means:
        return CrampMeasures(True, duration, None, None, None, 0)
    return CrampMeasures(True, duration, float(np.mean(means)), float(np.mean(lows)), float(np.mean(highs)),
                         len(means))


def threshold_frequency(frequencies: Sequence[float], cramped: Sequence[bool] | Mapping[float, bool]) -> float | None:
    """Cramp threshold frequency: the lowest train frequency (Hz) after which a cramp was detected.

    Parameters
    ----------
    frequencies : the train frequencies tried (Hz), rising.
    cramped : for each, whether a cramp followed (or a mapping frequency -> cramped).

    Returns
    -------
    The threshold frequency (Hz), or None when no train cramped.

    Examples
    --------
    >>> threshold_frequency([4, 6, 8, 10], [False, False, True, True])
    8.0
    >>> threshold_frequency([4, 6], [False, False]) is None
    True
    """
    freqs = np.asarray(frequencies, dtype=float)
    flags = [bool(cramped[f]) for f in frequencies] if isinstance(cramped, Mapping) else [bool(c) for c in cramped]
    if freqs.ndim != 1 or freqs.size != len(flags) or np.any(np.diff(freqs) <= 0):
        raise ParameterError(describe("`frequencies`", "rising frequencies (Hz), one flag each",
                                      f"{freqs.tolist()} with {len(flags)} flags"))
    hits = [f for f, flag in zip(freqs, flags) if flag]
    return float(hits[0]) if hits else None
