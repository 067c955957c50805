"""Clonus measures: an angle (or EMG) recording in; beats, frequency, duration and decay out.

Ankle clonus is elicited by a brisk passive dorsiflexion that the examiner then holds with a steady
push: a hyperexcitable triceps surae answers each stretch with a reflex contraction that throws the
foot back, the push stretches it again, and the ankle beats at about 5-7 Hz for as long as the
push is kept (sustained clonus) or for a few beats (unsustained clonus). Definitions used here:

- **beat**: one dorsiflexion peak of the angle (or one burst of an EMG) whose topographic
  prominence is at least ``min_amplitude`` (angle: 1 deg, the amplitude above which a swing counts
  as an oscillation in the pendulum test, ANCHORS 4.1, as :mod:`myoreflex.measures.pendulum`
  counts its peaks). For an angle the prominence of a beat is its peak-to-trough excursion, the
  size of the plantarflexion jerk that follows it (the shallower of its two neighbouring troughs).
- **clonic run**: successive beats whose intervals lie in the clonus band :data:`CLONUS_BAND_HZ`
  (3-12 Hz; the same band as the Tardieu quality in :mod:`myoreflex.measures.clinical`). The
  longest run is the clonus; ``n_beats`` is its number of beats.
- **contraction check** (``bursts=``, an ``emg_<muscle>`` channel): clonus is a series of
  involuntary rhythmic muscle *contractions* (Dimitrijevic, Nathan & Sherwood 1980; Wallace, Ross &
  Thomas 2005 counted it in the EMG), so a foot that rings mechanically after a push, with a
  silent muscle, has no clonus. With ``bursts`` given, a beat counts only when the muscle's EMG
  rises within its cycle (the period around its peak) by at least 0.01 of maximal excitation for
  a simulated excitation (unit 1, the activity floor of :data:`myoreflex.measures.emg.BARE_THRESHOLD`)
  or by 25 % of the envelope's largest excursion for an EMG in V (the Tardieu measure's rule).
- **clonus present**: at least :data:`MIN_BEATS` = 3 beats ("rhythmic ankle flexion and extension
  for at least 3 beats before it extinguishes", DeGowin & DeGowin, Bedside Diagnostic Examination,
  1987, p. 818).
- **sustained**: at least :data:`SUSTAINED_BEATS` = 10 beats (same source: sustained clonus
  persists for 10 beats or more) and still beating when the recording ends: it lasts as long as the
  examiner keeps the push. Unsustained clonus of a few beats can be found in healthy people; only
  sustained clonus is always pathological.
- **frequency** (``method=``, :data:`FREQUENCY_METHODS`): ``"peaks"`` (default), one over the
  median interval between successive beats of the run; ``"spectrum"``, the peak of the amplitude
  spectrum of the run (Hann window, linear trend removed, zero-padded) inside the clonus band.
- **duration**: from the first beat of the run to the end of its last (last - first beat time +
  one period), s; **decay**: the median ratio of successive beat amplitudes (1 for a sustained
  clonus, below 1 for one that dies out; a damped oscillation's ratio per cycle).
- **SCATS clonus score** (Benz et al. 2005, the Spinal Cord Assessment Tool for Spastic reflexes,
  for spinal cord injury): 0 no clonus, 1 clonus lasting < 3 s, 2 for 3-10 s, 3 for > 10 s. A clonus
  still beating when a recording of under 10 s ends has a lower-bound score (``scats_censored``).
  The Modified Tardieu's quality X uses the same 10 s: 3 fatigable (< 10 s), 4 unfatigable (> 10 s)
  (ANCHORS 10).

Published frequencies (what a measured clonus is compared with): chronic cervical spinal cord
injury, mean clonus frequency per subject 4.7-7.0 Hz (Wallace, Ross & Thomas 2005 J Appl Physiol
99:2166, medial gastrocnemius EMG, n = 6); spastic patients, clonus half-period 79.3 +- 12.3 ms,
i.e. 6.3 Hz, 5.5-7.5 Hz within one SD (J Electromyogr Kinesiol 2011, doi:10.1016/j.jelekin.2010.11.005,
accelerometry, n = 11); normal and spastic ankles loaded with a mass clonus at 3-7 Hz, the
frequency changing with the load (Rack, Ross & Thilmann 1984 Brain 107:637); ankle clonus held by a
bias force at the ball of the foot changed frequency with that force (Arch Phys Med Rehabil 1977
58:568).

References: DeGowin EL, DeGowin RL (1987) Bedside Diagnostic Examination, 5th ed., Macmillan, p. 818.
Benz EN, Hornby TG, Bode RK, Scheidt RA, Schmit BD (2005) Arch Phys Med Rehabil 86:52.
Dimitrijevic MR, Nathan PW, Sherwood AM (1980) J Neurol Neurosurg Psychiatry 43:321.
Wallace DM, Ross BH, Thomas CK (2005) J Appl Physiol 99:2166.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from myoreflex.errors import ParameterError, RecordingError, describe
from myoreflex.measures import Method, Record
from myoreflex.measures.clinical import (
    CLONUS_BAND_HZ,  # Hz: beats 1/12-1/3 s apart (clinical.py: its sources)
)
from myoreflex.measures.gates import Gate, evaluate
from myoreflex.measures.pendulum import find_peaks
from myoreflex.registry import Registry
from myoreflex.trial import Trial
from myoreflex.units import DEG

MIN_BEAT_AMPLITUDE = 1 * DEG
"""rad: smallest excursion of an angle beat: ANCHORS 4.1 counts oscillations of more than 1 deg
(the pendulum measure's peak prominence, :data:`myoreflex.measures.pendulum.PEAK_PROMINENCE`)."""
MIN_BEATS = 3
"""Beats of clonus: at least 3 rhythmic beats before it extinguishes (DeGowin & DeGowin 1987)."""
SUSTAINED_BEATS = 10
"""Beats of a sustained clonus: it persists for 10 beats or more (DeGowin & DeGowin 1987)."""
SCATS_SECONDS = (3.0, 10.0)
"""s: SCATS clonus score 1 below 3 s, 2 for 3-10 s, 3 above 10 s (Benz et al. 2005)."""
BURST_FRACTION = 0.25
"""An EMG burst (envelope of an EMG in V) rises by at least this fraction of the envelope's
largest excursion: the Tardieu measure's clonus rule (:data:`myoreflex.measures.clinical.CLONUS_PROMINENCE`)."""
ENVELOPE_CUTOFF_HZ = 50.0
"""Hz: low-pass corner of the envelope of an EMG in V (Hodges & Bui 1996, as the Tardieu measure's
:data:`~myoreflex.measures.clinical.CLONUS_ENVELOPE_HZ`), far above the beats it must keep."""
STILL_BEATING_PERIODS = 1.5
"""A run is still beating at the end when its last beat lies within 1.5 of its periods of the
recording's end (a further beat would have been due)."""
UNIFORM_TOLERANCE = 0.01
"""Largest relative deviation of a sampling interval from the median one for ``method="spectrum"``."""

GATES = {
    "samples_per_period": Gate(
        "samples_per_period",
        "samples per clonus period",
        ">=", 8, "samples",
        "at 8 samples per period the parabolic vertex of a sampled sine dates its peak within 0.13 % of "
        "a period (tests/measures/test_clonus.py); 100 Hz gives 14-20 samples at 5-7 Hz",
        "record at 100 Hz or more"),
}
"""The quality gate of :func:`measure`: the frequency needs the beats sampled finely enough."""

CONTRACT_KEYS = ("clonus", "sustained", "n_beats", "frequency_hz", "duration_s", "decay_ratio", "scats_clonus")
"""The measures a command line or report prints, in order (keys may be added, never renamed)."""


@dataclasses.dataclass(frozen=True)
class ClonusMeasures(Record):
    """Clonus in one recording: whether, how many beats, how fast (Hz), how long (s), how it decays."""

    clonus: bool
    sustained: bool
    n_beats: int
    frequency_hz: float | None
    period_s: float | None
    duration_s: float | None
    onset_s: float | None  # time of the run's first beat
    still_beating_at_end: bool
    decay_ratio: float | None  # median ratio of successive beat amplitudes (1: sustained)
    first_beat_deg: float | None  # excursion of the run's first beat (angle channel only)
    last_beat_deg: float | None
    beat_times_s: tuple[float, ...]
    scats_clonus: int
    scats_censored: bool
    channel: str
    bursts_channel: str | None
    method: str
    reference: str = ("beats: ANCHORS 4.1 (> 1 deg), DeGowin & DeGowin 1987 (>= 3; sustained >= 10); "
                      "SCATS: Benz et al. 2005")
    warnings: tuple[str, ...] = ()  # failed quality gates, measured anyway (lenient=True)

    def contract(self) -> dict:
        """The JSON contract's view: ``{"metrics": {CONTRACT_KEYS}, "warnings": [...]}``."""
        values = self.as_dict()
        return {"metrics": {key: values[key] for key in CONTRACT_KEYS}, "warnings": list(self.warnings)}


def _frequency_peaks(times: np.ndarray, **_) -> float:
    return float(1.0 / np.median(np.diff(times)))


def _frequency_spectrum(times: np.ndarray, *, t: np.ndarray, x: np.ndarray, where: str) -> float:
    dt = np.diff(t)
    step = float(np.median(dt))
    if np.max(np.abs(dt - step)) > UNIFORM_TOLERANCE * step:
        raise RecordingError(describe(where, "uniform sampling for method='spectrum'", "uneven time steps",
                                      "use method='peaks'"))
    half = 0.5 * float(np.median(np.diff(times)))
    inside = (t >= times[0] - half) & (t <= times[-1] + half)
    segment = x[inside]
    index = np.arange(segment.size)
    segment = segment - np.polyval(np.polyfit(index, segment, 1), index)
    n = 16 * max(segment.size, 64)
    spectrum = np.abs(np.fft.rfft(segment * np.hanning(segment.size), n))
    frequency = np.fft.rfftfreq(n, step)
    band = np.flatnonzero((frequency >= CLONUS_BAND_HZ[0]) & (frequency <= CLONUS_BAND_HZ[1]))
    return float(frequency[band[np.argmax(spectrum[band])]])


FREQUENCY_METHODS = Registry("clonus frequency", {
    "peaks": Method(_frequency_peaks, "one over the median interval between successive beats (parabolic "
                                      "sub-sample peaks)"),
    "spectrum": Method(_frequency_spectrum, "peak of the Hann-windowed amplitude spectrum of the clonic run, "
                                            "inside 3-12 Hz"),
})
"""``method=`` choices for the clonus frequency, each a :class:`~myoreflex.measures.Method`."""


def _prominences(x: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Topographic prominence of each peak (the definition of :func:`~myoreflex.measures.pendulum.find_peaks`)."""
    out = np.empty(peaks.size)
    for k, peak in enumerate(peaks):
        height = x[peak]
        left = peak
        while left > 0 and x[left - 1] <= height:
            left -= 1
        right = peak
        while right < x.size - 1 and x[right + 1] <= height:
            right += 1
        out[k] = height - max(x[left:peak + 1].min(), x[peak:right + 1].min())
    return out


def _vertex_time(t: np.ndarray, x: np.ndarray, i: int) -> float:
    """Time of the vertex of the parabola through samples ``i - 1 .. i + 1`` (the sample at an end)."""
    if i <= 0 or i >= x.size - 1:
        return float(t[i])
    (t0, _, t2), (y0, y1, y2) = t[i - 1:i + 2] - t[i], x[i - 1:i + 2]
    slope_left, slope_right = (y1 - y0) / -t0, (y2 - y1) / t2
    curvature = (slope_right - slope_left) / (t2 - t0)
    if curvature == 0.0:
        return float(t[i])
    return float(t[i] + np.clip(-(slope_right - curvature * t2) / (2.0 * curvature), t0, t2))


def _finite(trial: Trial, name: str) -> tuple[np.ndarray, str]:
    channel = trial.channel(name)
    values = np.asarray(channel.values, dtype=float)
    where = f"`{trial.source}`, channel `{name}`"
    if values.ndim != 1:
        raise RecordingError(describe(where, "a 1-D signal", values.shape))
    if not np.all(np.isfinite(values)):
        raise RecordingError(describe(where, "finite values", "NaN or inf"))
    return values, channel.unit


def _emg(trial: Trial, name: str) -> tuple[np.ndarray, float | None]:
    """The EMG to find bursts in and the absolute rise of a burst (None: relative, :data:`BURST_FRACTION`)."""
    values, unit = _finite(trial, name)
    if unit == "1":  # a simulated excitation, already an envelope
        from myoreflex.measures.emg import BARE_THRESHOLD

        return values, float(BARE_THRESHOLD["floor"])
    from myoreflex.measures.emg import emg_clean, emg_envelope

    rate = trial.sampling_rate
    return emg_envelope(emg_clean(values, rate), rate, cutoff_hz=ENVELOPE_CUTOFF_HZ), None


def _signal(trial: Trial, channel: str, min_amplitude: float | None):
    """The signal searched for beats, the smallest beat, and whether it is an angle."""
    where = f"`{trial.source}`, channel `{channel}`"
    if channel.startswith("emg_"):
        x, floor = _emg(trial, channel)
        if min_amplitude is None:
            min_amplitude = floor if floor is not None else BURST_FRACTION * float(np.ptp(x))
        return x, min_amplitude, False
    x, unit = _finite(trial, channel)
    if unit != "rad":
        raise RecordingError(describe(where, "an angle in rad (readers convert degrees)", f"unit {unit!r}"))
    return x, MIN_BEAT_AMPLITUDE if min_amplitude is None else min_amplitude, True


def _confirmed(t: np.ndarray, times: np.ndarray, emg: np.ndarray, rise: float) -> np.ndarray:
    """Whether the EMG rises by ``rise`` within each beat's cycle (midway to its neighbours)."""
    if times.size == 0:
        return np.zeros(0, bool)
    gaps = np.diff(times)
    fallback = float(np.median(gaps)) if gaps.size else 1.0 / CLONUS_BAND_HZ[0]
    before = np.concatenate([[fallback], gaps]) / 2
    after = np.concatenate([gaps, [fallback]]) / 2
    out = np.zeros(times.size, bool)
    for k, time in enumerate(times):
        window = emg[(t >= time - before[k]) & (t <= time + after[k])]
        out[k] = window.size > 0 and float(np.ptp(window)) >= rise
    return out


def _longest_run(times: np.ndarray, ok: np.ndarray) -> tuple[int, int]:
    """``(first, count)`` of the longest run of beats that are ``ok`` with in-band intervals."""
    low, high = 1.0 / CLONUS_BAND_HZ[1], 1.0 / CLONUS_BAND_HZ[0]
    best, best_first, first, count = 0, 0, 0, 0
    for k in range(times.size):
        if not ok[k]:
            count = 0
            continue
        if count and low <= times[k] - times[k - 1] <= high:
            count += 1
        else:
            first, count = k, 1
        if count > best:
            best, best_first = count, first
    return best_first, best


def measure(trial: Trial, *, channel: str = "angle", bursts: str | None = None, start_s: float | None = None,
            min_amplitude: float | None = None, method: str = "peaks", lenient: bool = False) -> ClonusMeasures:
    """Find the clonus in a recording and measure its beats, frequency, duration and decay.

    Parameters
    ----------
    trial : a recording (simulated or real) with ``channel``.
    channel : ``"angle"`` (rad; positive stretches the tested muscle, so a beat is a dorsiflexion peak
        at the ankle) or an ``emg_<muscle>`` channel (a beat is a burst).
    bursts : an ``emg_<muscle>`` channel whose bursts confirm the beats (module notes); None: every
        beat of ``channel`` counts.
    start_s : search from this time (s); None: the whole recording.
    min_amplitude : smallest beat, in the channel's unit; None: 1 deg for an angle, the burst rise of
        the module notes for an EMG.
    method : how the frequency is read, a key of :data:`FREQUENCY_METHODS`.
    lenient : measure a recording that fails the quality gate (:data:`GATES`), naming it in ``warnings``.

    Returns
    -------
    ClonusMeasures; without a run of two beats ``frequency_hz``, ``period_s``, ``duration_s`` and
    ``decay_ratio`` are None.

    Raises
    ------
    RecordingError: no such channel, NaN, an angle not in rad, fewer than 4 samples searched.
    ParameterError: an unknown ``method``. QualityGateError: fewer than 8 samples per clonus period.

    Examples
    --------
    >>> from myoreflex.trial import Channel
    >>> t = np.arange(0.0, 3.0, 0.005)
    >>> angle = 10 * DEG * np.exp(-0.6 * t) * np.sin(2 * np.pi * 6.0 * t)   # 6 Hz, slowly dying
    >>> out = measure(Trial(t, {"angle": Channel(angle, "rad")}))
    >>> out.clonus, out.sustained, out.n_beats, round(out.frequency_hz, 2), out.scats_clonus
    (True, True, 18, 6.0, 2)
    """
    entry = FREQUENCY_METHODS.lookup(method)
    where = f"`{trial.source}`, channel `{channel}`"
    x, smallest, is_angle = _signal(trial, channel, min_amplitude)
    if not (np.isfinite(smallest) and smallest >= 0):
        raise ParameterError(describe("min_amplitude", "a finite amplitude >= 0", smallest))
    t = trial.time
    keep = slice(None) if start_s is None else t >= float(start_s)
    t, x = t[keep], x[keep]
    if t.size < 4:
        raise RecordingError(describe(where, "at least 4 samples searched for clonus", f"{t.size}",
                                      "start the search earlier (start_s)"))
    peaks, _ = find_peaks(x, max(smallest, np.finfo(float).tiny))
    times = np.array([_vertex_time(t, x, int(i)) for i in peaks])
    amplitudes = _prominences(x, peaks)
    ok = np.ones(peaks.size, bool)
    if bursts is not None:
        emg, rise = _emg(trial, bursts)
        emg = emg[keep]
        ok = _confirmed(t, times, emg, rise if rise is not None else BURST_FRACTION * float(np.ptp(emg)))
    first, n = _longest_run(times, ok)
    run, run_amplitudes = times[first:first + n], amplitudes[first:first + n]
    frequency = period = duration = decay = None
    results = []
    still = False
    if n >= 2:
        frequency = entry.function(run, t=t, x=x, where=where)
        period = 1.0 / frequency
        duration = float(run[-1] - run[0]) + period
        decay = float(np.median(run_amplitudes[1:] / run_amplitudes[:-1]))
        still = bool(t[-1] - run[-1] < STILL_BEATING_PERIODS * period)
        results.append(GATES["samples_per_period"].result(period / float(np.median(np.diff(t)))))
    warnings = evaluate(where, results, lenient=lenient)
    clonus = n >= MIN_BEATS
    score = 0
    if clonus:
        score = 1 if duration < SCATS_SECONDS[0] else 2 if duration <= SCATS_SECONDS[1] else 3
    return ClonusMeasures(
        clonus=clonus,
        sustained=bool(n >= SUSTAINED_BEATS and still),
        n_beats=int(n),
        frequency_hz=frequency,
        period_s=period,
        duration_s=duration,
        onset_s=float(run[0]) if n else None,
        still_beating_at_end=still,
        decay_ratio=decay,
        first_beat_deg=float(run_amplitudes[0] / DEG) if n and is_angle else None,
        last_beat_deg=float(run_amplitudes[-1] / DEG) if n and is_angle else None,
        beat_times_s=tuple(float(time) for time in run),
        scats_clonus=score,
        scats_censored=bool(clonus and still and score < 3),
        channel=channel,
        bursts_channel=bursts,
        method=f"{method}: {entry.reference}",
        warnings=warnings,
    )
