"""Spasm EMG: interpretable features of a surface-EMG recording and the kind of spasm they fit best.

:func:`features` reads every ``emg_<muscle>`` channel (V) of a :class:`~myoreflex.trial.Trial`, and
the event channels ``movement`` (1 while the body part moves) and ``stimulus`` (1 during an
electrical stimulus) where there are any, and measures:

- the noise: the RMS of the noise floor of each channel in the 20-450 Hz analysis band, measured in the band above the EMG spectrum
  (700 Hz to 0.9 x Nyquist: MUAP power there is negligible, Lo Conte et al. 1994 waveforms of 1.4-9 ms)
  and scaled to the 20-450 Hz analysis band (De Luca et al. 2010); below 1.6 kHz, from the quietest
  tenth of 0.1-s windows;
- amplitude: RMS above the noise (uV) and the ratio to the noise;
- duration: the share of time active (0.1-s blocks whose median |EMG| is above 1.6 times that of
  the noise: tonic activity, not a few isolated potentials) and the longest active run (s);
- discharges: MUAP peaks above 5.5 noise SD (a false peak about once a minute in white noise),
  grouped into bursts where they follow within 15 ms; burst count, rate, median and longest
  duration, and the regularity of bursts as the coefficient of variation (CV) of their intervals.
  Surface EMG does not give single-unit rates: one burst is one motor-unit potential only when
  units discharge one at a time (fasciculations), so these are rates of events, not of units;
- spread: how many channels are active, how many of the main channel's bursts coincide (within
  10 ms) with a burst of another channel, and the cross-correlation of the channels' 5-ms
  envelopes (peak value and lag, ms; positive when the other channel follows the main one);
- trigger dependence: for ``movement``, the share of the main channel's active runs (>= 0.2 s) that
  start within 1 s after a movement onset, the share of movements followed by one, the latency of the
  first burst and how long the activity outlasts the movement; for ``stimulus``, the onset latency of each channel's response
  (the median over stimuli of the rectified raw signal, less its pre-stimulus mean, above 5 noise SD
  for 1 ms, 1.5-40 ms after the stimulus, over the sweeps whose 20 ms before the stimulus are quiet;
  the median also ignores a spontaneous burst that falls in one sweep. The raw signal, because a
  zero-phase band-pass rings a large evoked response back into the pre-stimulus window).

:func:`measure` (also :func:`classify`) runs the small decision list :data:`RULES` in its order
and returns the first rule that holds, with its source: a transparent rule set on simulated
signatures (:mod:`myoreflex.spasms`), not a trained model. Its thresholds were set on the simulated
signatures and checked on 200 other simulated recordings (``docs/spasms.md``); they have not been
checked on recordings of patients.

It is a research and teaching tool, not a diagnosis (:data:`NOTICE`): the same EMG pattern has other
causes, and none of these kinds is diagnosed from surface EMG alone.

References
----------
De Luca CJ, Gilmore LD, Kuznetsov M, Roy SH (2010). Filtering the surface EMG signal: movement
artifact and baseline noise contamination. J Biomech 43:1573-1579.
Lo Conte LR, Merletti R, Sandri GV (1994). Hermite expansions of compact support waveforms. IEEE
Trans Biomed Eng 41:1147-1159.
The sources of each rule: :data:`RULES`.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks

from myoreflex.errors import RecordingError, describe
from myoreflex.measures import Method, Record
from myoreflex.measures.emg import emg_clean
from myoreflex.registry import Registry
from myoreflex.trial import Trial

KINDS = ("calf_cramp", "tension_pain", "neck_back_spasm", "hemifacial_spasm", "fasciculation", "none")
"""The kinds a recording can be given (the five kinds of :mod:`myoreflex.spasms` and ``none``)."""
EVENT_CHANNELS = ("movement", "stimulus")
"""Event channels read (unit 1, on above 0.5): ``movement`` 1 while the body part moves, ``stimulus`` 1
during an electrical stimulus."""
NOTICE = ("Not a diagnosis: a research and teaching tool that compares EMG features with simulated "
          "signatures. The same pattern has other causes; see a doctor about symptoms.")

NOISE_BAND_HZ = 700.0
"""Lower corner of the band in which the noise floor is measured (Hz)."""
MIN_RATE_FOR_NOISE_BAND_HZ = 1600.0
"""Slowest sampling rate at which the noise band is used (Hz); slower recordings use quiet windows."""
BLOCK_S = 0.1
NOISE_MEDIAN = 0.6745
"""Median of |x| of Gaussian noise of SD 1."""
ACTIVE_MEDIAN_RATIO = 1.6
"""A 0.1-s block is active when its median |EMG| exceeds this many times that of the noise: the
median ignores a few isolated potentials (fasciculations) and rises with tonic activity; for
band-limited white noise (86 independent samples at 430 Hz) the margin is about 7 SD."""
SPIKE_SD = 5.5
"""MUAP peaks are samples of |EMG| above this many noise SD (white noise: 4e-8 per sample)."""
BURST_GAP_S = 0.015
"""Peaks closer than this belong to one burst (a biphasic MUAP's two lobes lie at most ~13 ms apart)."""
COINCIDENCE_S = 0.010
ENVELOPE_S = 0.005
MAX_LAG_S = 0.05
STIMULUS_WINDOW_S = (-0.020, 0.040)
STIMULUS_BLANK_S = 0.0015
"""Samples this soon after a stimulus are not searched (where a real stimulus artefact lies)."""
RESPONSE_SD = 5.0
QUIET_SWEEP_SD = 2.0
"""A stimulus sweep is used when its 20 ms before the stimulus have an RMS below this many noise SD
(sweeps with spontaneous activity are rejected, as an examiner would)."""
MOVEMENT_WINDOW_S = 1.0
LONG_RUN_S = 0.2
MIN_ACTIVE_FRACTION = 0.05
"""A channel with at least this share of active time, or two bursts, counts as active."""


@dataclasses.dataclass(frozen=True)
class SpasmEmgMeasures(Record):
    """The kind of spasm a recording fits best, the rule that decided and its source, and the features.

    ``as_dict()`` gives ``{"file", "kind", "rule", "source", "features", "notice"}``.
    """

    file: str
    kind: str
    rule: str
    source: str
    features: dict
    notice: str = NOTICE


@functools.lru_cache(maxsize=16)
def _noise_ratio(rate: float) -> float:
    """RMS of white noise in the 20-450 Hz band over its RMS in the noise band (a reference noise)."""
    white = np.random.default_rng(0).standard_normal(40_000)
    return float(np.std(emg_clean(white, rate)[2000:-2000]) / np.std(_noise_band(white, rate)[2000:-2000]))


@functools.lru_cache(maxsize=16)
def _white_ratio(rate: float) -> float:
    """RMS of white noise over its RMS in the 20-450 Hz band (a reference noise)."""
    white = np.random.default_rng(0).standard_normal(40_000)
    return float(1.0 / np.std(emg_clean(white, rate)[2000:-2000]))


def _noise_band(x: np.ndarray, rate: float) -> np.ndarray:
    return emg_clean(x, rate, band=(NOISE_BAND_HZ, rate / 2))


def _noise_sd(raw: np.ndarray, cleaned: np.ndarray, rate: float) -> tuple[float, str]:
    """Noise SD of the cleaned signal and how it was measured."""
    if rate >= MIN_RATE_FOR_NOISE_BAND_HZ:
        return float(np.std(_noise_band(raw, rate)) * _noise_ratio(rate)), "noise band"
    window = max(2, int(0.1 * rate))
    n = cleaned.size // window
    powers = np.sort(np.mean(cleaned[: n * window].reshape(n, window) ** 2, axis=1))
    return float(np.sqrt(np.mean(powers[: max(1, n // 10)]))), "quietest windows"


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the True runs of ``mask``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2], edges[1::2]))


def _bursts(peaks_s: np.ndarray) -> np.ndarray:
    """(onset, end) of the groups of peak times whose gaps are below :data:`BURST_GAP_S`, shape (k, 2)."""
    if peaks_s.size == 0:
        return np.zeros((0, 2))
    breaks = np.flatnonzero(np.diff(peaks_s) > BURST_GAP_S)
    starts = peaks_s[np.concatenate([[0], breaks + 1])]
    ends = peaks_s[np.concatenate([breaks, [peaks_s.size - 1]])]
    return np.column_stack([starts, ends + 0.005])


def _cv(values: np.ndarray) -> float | None:
    return float(np.std(values) / np.mean(values)) if values.size >= 2 and np.mean(values) > 0 else None


def _channel(raw: np.ndarray, rate: float, time: np.ndarray) -> dict[str, Any]:
    x = emg_clean(raw, rate)
    sigma, how = _noise_sd(raw, x, rate)
    sigma = max(sigma, 1e-12)
    block = max(2, int(BLOCK_S * rate))
    n = x.size // block
    medians = np.median(np.abs(x[: n * block]).reshape(n, block), axis=1)
    active = medians > ACTIVE_MEDIAN_RATIO * NOISE_MEDIAN * sigma
    runs = [(start * BLOCK_S, stop * BLOCK_S) for start, stop in _runs(active)]
    peaks, _ = find_peaks(np.abs(x), height=SPIKE_SD * sigma)
    bursts = _bursts(time[peaks])
    durations = bursts[:, 1] - bursts[:, 0]
    excess = float(np.sqrt(max(float(np.mean(x**2)) - sigma**2, 0.0)))
    return {
        "noise_rms_uv": sigma * 1e6,
        "noise_method": how,
        "rms_above_noise_uv": excess * 1e6,
        "signal_to_noise": excess / sigma,
        "active_fraction": float(active.mean()) if n else 0.0,
        "longest_active_s": float(max((stop - start for start, stop in runs), default=0.0)),
        "n_bursts": len(bursts),
        "burst_rate_hz": len(bursts) / float(time[-1] - time[0]),
        "burst_duration_median_s": float(np.median(durations)) if len(bursts) else None,
        "burst_duration_max_s": float(durations.max()) if len(bursts) else None,
        "burst_interval_cv": _cv(np.diff(bursts[:, 0])),
        "peak_rate_hz": peaks.size / float(time[-1] - time[0]),
        "_x": x, "_raw": np.asarray(raw, dtype=float), "_sigma": sigma, "_bursts": bursts, "_runs": np.array(runs).reshape(-1, 2) + time[0],
    }


def _coincidence(main: np.ndarray, others: list[np.ndarray]) -> float | None:
    """Share of ``main``'s bursts that overlap (within :data:`COINCIDENCE_S`) a burst of another channel."""
    if len(main) == 0 or not others:
        return None
    other = np.concatenate(others) if others else np.zeros((0, 2))
    if len(other) == 0:
        return 0.0
    hit = [(np.any((other[:, 0] <= end + COINCIDENCE_S) & (other[:, 1] >= start - COINCIDENCE_S)))
           for start, end in main]
    return float(np.mean(hit))


def _cross_correlation(a: np.ndarray, b: np.ndarray, rate: float) -> tuple[float | None, float | None]:
    """Peak normalised cross-correlation of the 5-ms envelopes within +-50 ms, and its lag (ms)."""
    width = max(1, int(ENVELOPE_S * rate))
    ea = uniform_filter1d(np.abs(a), width)
    eb = uniform_filter1d(np.abs(b), width)
    ea, eb = ea - ea.mean(), eb - eb.mean()
    norm = float(np.sqrt(np.sum(ea**2) * np.sum(eb**2)))
    if norm == 0:
        return None, None
    most = int(MAX_LAG_S * rate)
    lags = np.arange(-most, most + 1)
    values = np.array([np.sum(ea[max(0, -k): ea.size - max(0, k)] * eb[max(0, k): eb.size - max(0, -k)])
                       for k in lags]) / norm
    best = int(np.argmax(values))
    return float(values[best]), round(float(lags[best] / rate * 1e3), 3)


def _onsets(values: np.ndarray, time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    runs = _runs(np.asarray(values) > 0.5)
    return (np.array([time[start] for start, _ in runs]),
            np.array([time[min(stop, time.size - 1)] for _, stop in runs]))


def _movement(runs: np.ndarray, bursts: np.ndarray, onsets: np.ndarray, offsets: np.ndarray) -> dict[str, Any]:
    """Trigger dependence on movements, from the main channel's active runs (>= 0.2 s) and bursts."""
    runs = runs[(runs[:, 1] - runs[:, 0]) >= LONG_RUN_S] if len(runs) else runs
    locked, latencies, holds = [], [], []
    for start, end in runs:
        before = onsets[(onsets <= start + BLOCK_S) & (onsets >= start - MOVEMENT_WINDOW_S)]
        locked.append(before.size > 0)
        if before.size:
            on = before[-1]
            first = bursts[(bursts[:, 0] >= on - BLOCK_S) & (bursts[:, 0] <= end), 0] if len(bursts) else []
            latencies.append((first[0] if len(first) else start) - on)
            holds.append(end - offsets[onsets == on][0])
    answered = [bool(np.any((runs[:, 0] >= on - BLOCK_S) & (runs[:, 0] <= on + MOVEMENT_WINDOW_S)))
                for on in onsets] if len(runs) else [False] * onsets.size
    return {
        "n_movements": int(onsets.size),
        "runs_locked_to_movement": float(np.mean(locked)) if locked else None,
        "movements_with_activity": float(np.mean(answered)) if answered else None,
        "movement_latency_ms": float(np.median(latencies) * 1e3) if latencies else None,
        "activity_after_movement_s": float(np.median(holds)) if holds else None,
    }


def _responses(channels: dict[str, dict], onsets: np.ndarray, time: np.ndarray, rate: float) -> dict[str, Any]:
    start, stop = (round(s * rate) for s in STIMULUS_WINDOW_S)
    latencies, used = {}, {}
    for name, channel in channels.items():
        index = np.round((onsets - time[0]) * rate).astype(int)
        index = index[(index + start >= 0) & (index + stop < time.size)]
        if index.size == 0:
            latencies[name], used[name] = None, 0
            continue
        # the raw signal, each sweep less its pre-stimulus mean: a band-pass would ring the large evoked
        # response back into the pre-stimulus window (zero-phase 20 Hz corner)
        sweeps = channel["_raw"][index[:, None] + np.arange(start, stop)[None, :]]
        lag_s = np.arange(start, stop) / rate
        sweeps = np.abs(sweeps - sweeps[:, lag_s < 0].mean(axis=1, keepdims=True))
        sigma = channel["_sigma"] * _white_ratio(rate)  # the noise SD of the raw signal
        before = np.sqrt(np.mean(sweeps[:, lag_s < 0] ** 2, axis=1))
        quiet = before < QUIET_SWEEP_SD * sigma  # sweeps without a spontaneous burst before the stimulus
        used[name] = int(quiet.sum())
        if not quiet.any():
            latencies[name] = None
            continue
        typical = np.median(sweeps[quiet], axis=0)
        above = (typical > RESPONSE_SD * sigma) & (lag_s >= STIMULUS_BLANK_S)
        held = above[:-1] & above[1:] if int(0.001 * rate) <= 2 else \
            uniform_filter1d(above.astype(float), int(0.001 * rate)) >= 1.0
        first = np.flatnonzero(held)
        latencies[name] = round(float(lag_s[first[0]] * 1e3), 3) if first.size else None
    return {"n_stimuli": int(onsets.size), "quiet_sweeps": used, "response_latency_ms": latencies}


def features(trial: Trial) -> dict[str, Any]:
    """Interpretable features of a surface-EMG recording (module docstring); plain JSON values.

    Parameters
    ----------
    trial : a Trial with at least one ``emg_<muscle>`` channel in V, uniformly sampled; optional
        ``movement`` and ``stimulus`` channels.

    Returns
    -------
    ``{"rate_hz", "duration_s", "channels": {muscle: {...}}, "main_channel", "n_active_channels",
    "localisation_ratio", "coincident_bursts", "envelope_correlation", "envelope_lag_ms",
    "movement": {...} or None, "stimulus": {...} or None}``, units in the names.

    Raises
    ------
    RecordingError
        No EMG channel, an EMG channel not in V, or a time base that is not uniform.

    Examples
    --------
    >>> from myoreflex.trial import Channel
    >>> t = np.arange(0.0, 4.0, 1 / 2000)
    >>> rest = Trial(t, {"emg_soleus": Channel(np.random.default_rng(0).normal(0, 3e-6, t.size), "V")})
    >>> f = features(rest)
    >>> round(f["channels"]["soleus"]["noise_rms_uv"], 1), f["n_active_channels"]  # 3 uV white: ~1.9 uV in 20-450 Hz
    (1.9, 0)
    """
    names = [name for name in trial.channels if name.startswith("emg_")]
    if not names:
        raise RecordingError(describe(f"`{trial.source}`", "at least one emg_<muscle> channel", sorted(trial.channels)))
    for name in names:
        if trial.unit(name) != "V":
            raise RecordingError(describe(f"`{trial.source}`, channel `{name}`", "surface EMG in V",
                                          repr(trial.unit(name)), "a spasm EMG is read in volts"))
    time = trial.time
    steps = np.diff(time)
    if np.ptp(steps) > 0.01 * np.median(steps):
        raise RecordingError(describe(f"`{trial.source}`, time", "a uniform sampling", "uneven steps"))
    rate = float(1.0 / np.median(steps))
    channels = {name: _channel(trial[name], rate, time) for name in names}
    order = sorted(names, key=lambda n: -channels[n]["rms_above_noise_uv"])
    active = [n for n in names if channels[n]["active_fraction"] >= MIN_ACTIVE_FRACTION or channels[n]["n_bursts"] >= 2]
    main = order[0]
    second = order[1] if len(order) > 1 else None
    correlation = lag = None
    if second is not None and channels[second]["n_bursts"] > 0:
        correlation, lag = _cross_correlation(channels[main]["_x"], channels[second]["_x"], rate)
    out: dict[str, Any] = {
        "rate_hz": rate,
        "duration_s": float(time[-1] - time[0]),
        "main_channel": main.removeprefix("emg_"),
        "n_active_channels": len(active),
        "localisation_ratio": (channels[main]["rms_above_noise_uv"] / max(channels[second]["rms_above_noise_uv"], 0.1)
                               if second else None),
        "coincident_bursts": _coincidence(channels[main]["_bursts"], [channels[n]["_bursts"] for n in names if n != main]),
        "envelope_correlation": correlation,
        "envelope_lag_ms": lag,
        "movement": None,
        "stimulus": None,
    }
    if "movement" in trial:
        out["movement"] = _movement(channels[main]["_runs"], channels[main]["_bursts"], *_onsets(trial["movement"], time))
    if "stimulus" in trial:
        out["stimulus"] = _responses({n.removeprefix("emg_"): channels[n] for n in names},
                                     _onsets(trial["stimulus"], time)[0], time, rate)
    out["channels"] = {n.removeprefix("emg_"): {k: v for k, v in channels[n].items() if not k.startswith("_")}
                       for n in names}
    return out


# --- the decision list ------------------------------------------------------------------------------

def _main(f):
    return f["channels"][f["main_channel"]]


def _quiet(f) -> bool:
    return f["n_active_channels"] == 0


def _lateral_spread(f) -> bool:
    latencies = [v for v in ((f["stimulus"] or {}).get("response_latency_ms") or {}).values() if v is not None]
    return any(v < 7.0 for v in latencies) and any(7.0 <= v <= 15.0 for v in latencies)


def _guarding(f) -> bool:
    m = f["movement"]
    return bool(m and m["n_movements"] >= 1 and (m["runs_locked_to_movement"] or 0) >= 0.6
                and (m["movements_with_activity"] or 0) >= 0.6 and (m["activity_after_movement_s"] or 0) >= 0.3)


def _clonic_synchronous(f) -> bool:
    main = _main(f)
    return bool(f["n_active_channels"] >= 2 and main["n_bursts"] >= 3
                and (main["burst_duration_median_s"] or 1.0) < 0.3 and (main["burst_duration_max_s"] or 1.0) < 0.5
                and (f["coincident_bursts"] or 0) >= 0.6 and (f["envelope_correlation"] or 0) >= 0.3
                and f["envelope_lag_ms"] is not None and abs(f["envelope_lag_ms"]) <= 10.0)


def _localised_sustained(f) -> bool:
    main = _main(f)
    return bool(main["active_fraction"] >= 0.5 and main["longest_active_s"] >= 1.0
                and main["rms_above_noise_uv"] >= 150.0 and (f["localisation_ratio"] or np.inf) >= 4.0)


def _sustained_low(f) -> bool:
    main = _main(f)
    return bool(main["active_fraction"] >= 0.5 and main["longest_active_s"] >= 1.0
                and main["rms_above_noise_uv"] < 150.0)


def _isolated_potentials(f) -> bool:
    main = _main(f)
    return bool(main["n_bursts"] >= 2 and (main["burst_duration_median_s"] or 1.0) < 0.06
                and (main["burst_duration_max_s"] or 1.0) < 0.15 and main["active_fraction"] < 0.3
                and (f["envelope_correlation"] or 0.0) < 0.3)


def _anything(f) -> bool:
    return True


@dataclasses.dataclass(frozen=True)
class Rule:
    """One rule of the decision list: its test, the kind it gives and what it says in words."""

    test: Any
    kind: str
    says: str

    def __call__(self, found: dict) -> bool:
        """Whether the rule holds for the features ``found``."""
        return bool(self.test(found))


RULES = Registry("spasm EMG rule", {
    "quiet": Method(Rule(_quiet, "none", "no channel has activity above the noise"),
                    "noise floor measured above the EMG band (De Luca et al. 2010 J Biomech 43:1573)"),
    "lateral_spread_response": Method(
        Rule(_lateral_spread, "hemifacial_spasm",
             "a stimulus gives a direct response (< 7 ms) in one muscle and a response at 7-15 ms in a muscle of "
             "another branch: the lateral spread response"),
        "Nielsen 1984 Neurology 34:418 (ephaptic transmission between facial-nerve branches); Misawa et al. "
        "2006 J Neurol Neurosurg Psychiatry 77:216 (onset 10.0 ms)"),
    "guarding": Method(
        Rule(_guarding, "neck_back_spasm",
             "activity starts with the movements (>= 60 % of active runs within 1 s of a movement onset, >= 60 % "
             "of movements answered) and outlasts them by >= 0.3 s"),
        "Falla & Farina 2008 J Electromyogr Kinesiol 18:255 (co-activation in neck pain); Geisser et al. 2005 "
        "J Pain 6:711 (paraspinals fail to relax); evidence weak for cervical spondylosis as such"),
    "synchronous_clonic_bursts": Method(
        Rule(_clonic_synchronous, "hemifacial_spasm",
             "brief bursts (median < 0.3 s, none >= 0.5 s), >= 60 % of them together with a burst of another "
             "muscle within 10 ms, envelopes correlated (>= 0.3) at a lag <= 10 ms: muscles of several "
             "branches contract together"),
        "Nielsen 1984 Neurology 34:418 (synchronous clonic activity, 250-350 Hz trains); Auger 1979 Neurology "
        "29:1261 (synkinesis of orbicularis oculi and oris)"),
    "localised_sustained_discharge": Method(
        Rule(_localised_sustained, "calf_cramp",
             "one muscle active >= 50 % of the time and >= 1 s at a stretch, strong (>= 150 uV above noise) and "
             ">= 4 times its neighbour"),
        "Minetto et al. 2009 J Neurophysiol 102:1890 (cramp units active 23.6 s at 6-25 pps); Ross & Thomas "
        "1995 and Khan & Burne 2007 J Neurophysiol 98:1102 (cramp EMG in one head, the other silent)"),
    "sustained_low_level_activity": Method(
        Rule(_sustained_low, "tension_pain",
             "activity >= 50 % of the time and >= 1 s at a stretch, but weak (< 150 uV above noise): "
             "a muscle that does not rest"),
        "Veiersted et al. 1993 Scand J Work Environ Health 19:284; Hanvold et al. 2013 Scand J Work Environ "
        "Health 39:390; evidence weak (Holte & Westgaard 2002 Am J Ind Med 41:393)"),
    "isolated_potentials": Method(
        Rule(_isolated_potentials, "fasciculation",
             "isolated brief potentials (median burst < 60 ms, none >= 150 ms, tonic activity < 30 % of the "
             "time), not correlated across muscles (< 0.3)"),
        "de Carvalho & Swash 2013 JAMA Neurol 70:1562; Kleine et al. 2012 Clin Neurophysiol 123:399 "
        "(fasciculation potentials at rest)"),
    "no_match": Method(Rule(_anything, "none", "activity that fits none of the five signatures"),
                       "the decision list of myoreflex.measures.spasm_emg (no rule above held)"),
})
"""The decision list, in order: name -> :class:`~myoreflex.measures.Method` whose ``function`` is a
:class:`Rule` (its test on the features, the kind, the words) and ``reference`` the rule's source."""


def measure(trial: Trial) -> SpasmEmgMeasures:
    """The kind of spasm a recording's EMG fits best: the first rule of :data:`RULES` that holds.

    Parameters
    ----------
    trial : a Trial as :func:`features` reads it.

    Returns
    -------
    SpasmEmgMeasures
        ``kind`` (one of :data:`KINDS`), ``rule`` (its name and words), ``source``, ``features``
        (:func:`features`) and ``notice`` (:data:`NOTICE`: not a diagnosis).

    Examples
    --------
    >>> from myoreflex.trial import Channel
    >>> t = np.arange(0.0, 4.0, 1 / 2000)
    >>> rest = Trial(t, {"emg_soleus": Channel(np.random.default_rng(0).normal(0, 3e-6, t.size), "V")},
    ...              {"source": "rest.csv"})
    >>> result = measure(rest)
    >>> result.kind, result.rule
    ('none', 'quiet: no channel has activity above the noise')
    >>> sorted(result.as_dict())
    ['features', 'file', 'kind', 'notice', 'rule', 'source']
    """
    found = features(trial)
    for name in RULES:
        entry = RULES[name]
        if entry.function(found):
            return SpasmEmgMeasures(file=trial.source, kind=entry.function.kind,
                                    rule=f"{name}: {entry.function.says}", source=entry.reference,
                                    features=found)
    raise AssertionError("the last rule always holds")  # pragma: no cover


classify = measure
"""The domain verb: the same function as :func:`measure`."""
