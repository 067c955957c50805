"""Long-lasting reflex: how long the EMG of the stimulated muscle outlasts a brief stimulus.

The reflex is on while the EMG envelope is above the resting level by more than ``max(k SD,
floor)`` of the rest before the stimulus (the rule of Hodges & Bui 1996, Electroencephalogr Clin
Neurophysiol 101:511: mean + 3 SD of the baseline, as the EMG onsets of :mod:`myoreflex.measures.emg`);
``floor`` is the project's rise for a noise-free simulated excitation, 0.01 (1 % of maximal
excitation, :data:`myoreflex.measures.emg.BARE_THRESHOLD`), under which a baseline of SD 0 would
flag numerical ripple. The reflex ends at the start of the first quiet stretch, below threshold for
``quiet_s`` (0.1 s: a gap shorter than the interval of a 10 pps discharge, the slowest sustained
motor-unit firing, does not end it) or until the recording ends; its ``duration_s`` is the time from
the end of the stimulus to the last sample above threshold before that stretch. A reflex still on
when the recording ends is flagged ``lasts_to_end`` (its duration is then a lower bound), never
reported as if it had ended.

The long-lasting reflexes of chronic spinal cord injury last seconds (Bennett et al. 2004
J Neurophysiol 91:2247; Norton et al. 2008 Brain 131:1478); the short-latency reflex of an intact
cord ends within a few tens of milliseconds of its input.

The signal must be an envelope: a simulated excitation (unit 1), or a recording's linear envelope
(:func:`myoreflex.measures.emg.emg_envelope`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from myoreflex.errors import ParameterError, RecordingError, describe
from myoreflex.measures import Record
from myoreflex.measures.emg import BARE_THRESHOLD
from myoreflex.trial import Trial

K_SD = 3.0
"""Baseline standard deviations above the resting mean (Hodges & Bui 1996)."""
FLOOR = BARE_THRESHOLD["floor"]
"""Smallest rise above the resting mean counted as reflex (unit of the channel; 0.01 of a normalised
excitation: :data:`myoreflex.measures.emg.BARE_THRESHOLD`)."""
QUIET_S = 0.1
"""Below threshold for this long (s) ends the reflex: the interval of a 10 pps discharge."""
METHOD = "hodges_bui_offset"


@dataclasses.dataclass(frozen=True)
class LongLastingReflexMeasures(Record):
    """How long the reflex outlasts the stimulus.

    Attributes
    ----------
    muscle : the EMG channel measured (``emg_<muscle>``).
    duration_s : from the end of the stimulus to the last sample above threshold before the reflex
        ended (s); 0 when the EMG is not above threshold after the stimulus.
    reflex_end_s : the time the reflex ended (s; the first quiet sample), None when it lasts to the end.
    lasts_to_end : True when the EMG is still above threshold at the end of the recording
        (``duration_s`` is then a lower bound).
    threshold : the EMG level of the rule (unit of the channel).
    baseline : the resting mean before the stimulus (unit of the channel).
    peak_emg : the largest EMG after the stimulus ends (unit of the channel).
    stimulus_end_s : the end of the stimulus (s).
    method : the rule (``hodges_bui_offset``).
    """

    muscle: str
    duration_s: float
    reflex_end_s: float | None
    lasts_to_end: bool
    threshold: float
    baseline: float
    peak_emg: float
    stimulus_end_s: float
    method: str = METHOD


def _time_from(trial: Trial, value, key: str) -> float:
    value = trial.metadata.get(key) if value is None else value
    if value is None:
        raise RecordingError(describe(f"`{trial.source}`, metadata `{key}`", "the stimulus timing in s "
                                      "(a LongLastingReflex simulation sets it)", "none",
                                      f"pass {key}=... to measure"))
    return float(value)


def measure(trial: Trial, *, muscle: str | None = None, stimulus_onset_s: float | None = None,
            stimulus_end_s: float | None = None, k: float = K_SD, floor: float = FLOOR,
            quiet_s: float = QUIET_S) -> LongLastingReflexMeasures:
    """How long the EMG of ``muscle`` stays above its resting level after a stimulus ends.

    Parameters
    ----------
    trial : a recording with an ``emg_<muscle>`` envelope and the stimulus timing in its metadata
        (``stimulus_onset_s``, ``stimulus_end_s``; set by
        :class:`myoreflex.protocols.long_lasting_reflex.LongLastingReflex`) or given here.
    muscle : the stimulated muscle (default: the first EMG channel, the agonist of a simulation).
    stimulus_onset_s, stimulus_end_s : the stimulus (s), overriding the metadata. The rest before
        the onset is the baseline.
    k, floor : the threshold, resting mean + ``max(k SD, floor)`` (module docstring).
    quiet_s : how long below threshold ends the reflex (s).

    Returns
    -------
    LongLastingReflexMeasures

    Examples
    --------
    >>> from myoreflex.trial import Channel
    >>> t = np.arange(1, 3001) * 1e-3
    >>> emg = 0.005 + 0.1 * ((t > 0.5) & (t <= 1.6))       # on from the stimulus to 1.6 s
    >>> trial = Trial(t, {"emg_quadriceps": Channel(emg, "1")}, {"stimulus_onset_s": 0.5, "stimulus_end_s": 0.6})
    >>> result = measure(trial)
    >>> round(result.duration_s, 3), result.lasts_to_end, round(result.threshold, 3)
    (1.0, False, 0.015)
    """
    names = trial.emg_names()
    if not names:
        raise RecordingError(describe(f"`{trial.source}`", "at least one emg_<muscle> channel", "none"))
    muscle = muscle or names[0]
    if muscle not in names:
        raise RecordingError(describe(f"`{trial.source}`, channel `emg_{muscle}`", f"one of {', '.join(names)}",
                                      "missing"))
    for name, value in (("k", k), ("floor", floor), ("quiet_s", quiet_s)):
        if not (np.isfinite(value) and value >= 0):
            raise ParameterError(describe(f"`{name}`", "a finite number >= 0", value))
    onset = _time_from(trial, stimulus_onset_s, "stimulus_onset_s")
    end = _time_from(trial, stimulus_end_s, "stimulus_end_s")
    time, emg = trial.time, np.asarray(trial[f"emg_{muscle}"], dtype=float)
    rest, after = time < onset, time > end
    if np.count_nonzero(rest) < 2 or not np.any(after) or end < onset:
        raise RecordingError(describe(f"`{trial.source}`", "rest before the stimulus and samples after it",
                                      f"{np.count_nonzero(rest)} samples before {onset:g} s, "
                                      f"{np.count_nonzero(after)} after {end:g} s"))
    baseline = float(np.mean(emg[rest]))
    threshold = baseline + max(k * float(np.std(emg[rest])), float(floor))
    t_after, above = time[after], emg[after] > threshold
    step = float(np.median(np.diff(time)))
    need = max(1, round(quiet_s / step))
    # the first quiet stretch: `need` samples below threshold, or below threshold to the end
    below = np.concatenate([~above, [True] * need])
    run = np.convolve(below.astype(int), np.ones(need, dtype=int), mode="valid")[: above.size]
    quiet = np.flatnonzero(run == need)
    ended = quiet.size > 0  # else the EMG is above threshold at the last sample
    first_quiet = int(quiet[0]) if ended else above.size
    on = np.flatnonzero(above[:first_quiet])
    return LongLastingReflexMeasures(
        muscle=muscle,
        duration_s=float(t_after[on[-1]] - end) if on.size else 0.0,
        reflex_end_s=float(t_after[first_quiet]) if ended else None,
        lasts_to_end=not ended,
        threshold=threshold,
        baseline=baseline,
        peak_emg=float(np.max(emg[after])),
        stimulus_end_s=end,
    )
