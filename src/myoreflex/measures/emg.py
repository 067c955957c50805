"""EMG measures: band-pass, rectification, envelope, and onset detection by published methods.

The verbs follow NeuroKit2 (Makowski et al. 2021): each step is public and :func:`emg_process`
chains them.

- :func:`emg_clean`: zero-phase Butterworth band-pass (default 20-450 Hz, De Luca et al. 2010).
- :func:`emg_rectify`: full-wave rectification, ``|x|``.
- :func:`emg_envelope`: linear envelope (rectify, then zero-phase low-pass, Winter 2009 ch. 10)
  or moving root mean square (Merletti 1999).
- :func:`emg_onset` / :func:`emg_onsets`: onset of EMG activity in one signal / in every
  ``emg_<muscle>`` channel of a :class:`~myoreflex.trial.Trial`, by one of the methods in
  :data:`ONSET_METHODS`, each tied to its paper:

  ``hodges_bui``
      Hodges & Bui 1996: rectify, low-pass, trailing moving average; onset where the result
      first stays above the baseline mean plus ``k`` baseline standard deviations. The one
      Hodges & Bui rule of myoreflex (defaults and their source in :func:`_hodges_bui`): the
      stretch reflex thresholds (:mod:`myoreflex.measures.threshold`) use it too.
  ``teager_kaiser``
      Li, Zhou & Aruin 2007; Solnik et al. 2010: the same threshold rule applied after the
      Teager-Kaiser energy operator ``psi[n] = x[n]^2 - x[n-1] x[n+1]``.
  ``aglr``
      Staude & Wolf 1999; Staude et al. 2001: the approximated generalized likelihood-ratio test
      for a step increase in the variance of a zero-mean Gaussian signal, with the change time
      estimated by maximum likelihood.
  ``hysteresis`` (the default)
      Detection then onset estimation (the split of Staude et al. 2001): activity is detected
      where the linear envelope (Winter 2009) exceeds the baseline mean plus ``k = 10`` SD, and
      its onset dated back to where the envelope last lay within the Hodges & Bui band of mean
      plus ``k_onset = 3`` SD. A high detection level rejects noise and slow drifts; the low
      level dates the onset without the lag of a high threshold. The levels and the envelope
      corner were chosen on the KU Leuven IPSA recordings (200 Hz), where they match the lab's
      onsets within 25 ms in 26 of 32 fast stretches (``tests/measures/test_emg_ipsa.py``).

:func:`stretch_windows` gives the rest window before a stretch and the window searched for its
reflex onset from the Trial's angular velocity.

Every onset is an :class:`Onset` that records the method, its reference and every parameter used
(defaults included), so a result says how it was obtained. :func:`measure` gives the onset of
every muscle of one stretch, in the windows of :func:`stretch_windows`, as an :class:`EmgMeasures`
record.

Timing. Every filter here is zero-phase (run forward and backward), so nothing is delayed, but a
sudden burst is spread backward in time as much as forward: a strong, abrupt burst is seen, and
its onset dated, some milliseconds early. For white-noise bursts five times the baseline at
1 kHz the methods date the onset 0-15 ms early, ``hysteresis`` about 25 ms early
(``tests/measures/test_emg.py`` bounds each). The moving averages of the threshold methods are
trailing (causal): a centred window would let the detection signal rise half a window before the
EMG does.

A signal that is already an envelope, or a noise-free simulated excitation, goes to
``hodges_bui`` as it is (:data:`BARE_THRESHOLD`): no band-pass (``clean=False`` in
:func:`emg_onsets`), no low-pass, no moving average, and an absolute ``floor`` on the rise so that
a noise-free baseline (SD 0) does not turn numerical ripple into an onset.

References
----------
De Luca CJ, Gilmore LD, Kuznetsov M, Roy SH (2010). Filtering the surface EMG signal: movement
artifact and baseline noise contamination. J Biomech 43:1573-1579.
Hodges PW, Bui BH (1996). A comparison of computer-based methods for the determination of onset of
muscle contraction using electromyography. Electroencephalogr Clin Neurophysiol 101:511-519.
Li X, Zhou P, Aruin AS (2007). Teager-Kaiser energy operation of surface EMG improves muscle
activity onset detection. Ann Biomed Eng 35:1532-1538.
Makowski D et al. (2021). NeuroKit2: a Python toolbox for neurophysiological signal processing.
Behav Res Methods 53:1689-1696.
Merletti R (1999). Standards for reporting EMG data. J Electromyogr Kinesiol 9(1):III-IV.
Solnik S, Rider P, Steinweg K, DeVita P, Hortobagyi T (2010). Teager-Kaiser energy operator signal
conditioning improves EMG onset detection. Eur J Appl Physiol 110:489-498.
Staude G, Wolf W (1999). Objective motor response onset detection in surface myoelectric signals.
Med Eng Phys 21:449-467.
Staude G, Flachenecker C, Daumer M, Wolf W (2001). Onset detection in surface electromyographic
signals: a systematic comparison of methods. EURASIP J Appl Signal Process 2001(2):67-81.
Winter DA (2009). Biomechanics and Motor Control of Human Movement, 4th ed. Wiley, ch. 10.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from typing import Any

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import butter, sosfiltfilt

from myoreflex.errors import ParameterError, RecordingError, describe
from myoreflex.measures import Method, Record
from myoreflex.registry import Registry
from myoreflex.trial import Trial

DEFAULT_BAND_HZ = (20.0, 450.0)
"""Surface-EMG pass band (Hz): De Luca et al. 2010 recommend a 20 Hz high-pass corner (movement
artefact) and keep the signal's energy, which lies below about 450-500 Hz."""

NYQUIST_FRACTION = 0.9
"""The upper band edge is clipped to this fraction of the Nyquist frequency (rate / 2). A
Butterworth corner at or above Nyquist does not exist, and one close to it leaves no transition
band; 0.9 keeps 10 % of it. Example: the IPSA recordings, stored at 200 Hz, are band-passed at
20-90 Hz."""

MIN_BASELINE_SAMPLES = 20
"""Fewest samples in an onset baseline window. The baseline standard deviation of ``n``
independent Gaussian samples has a relative standard error of about ``1 / sqrt(2 (n - 1))``:
16 % at 20 samples, which moves a 3 SD threshold by about half a standard deviation. At 200 Hz
(the IPSA recordings) 20 samples are 100 ms of rest."""

UNIFORM_TOLERANCE = 0.01
"""Largest relative deviation of a sampling interval from the median one: filters assume a
uniformly sampled signal."""

RELATIVE_FLOOR = 1e-9
"""Smallest rise above the baseline mean counted as activity, as a fraction of the largest
absolute value of the detection signal: a constant signal filtered in floating point ripples by
about 1e-16 of its size, which must not pass for an onset."""


@dataclasses.dataclass(frozen=True)
class Onset(Record):
    """An EMG onset: its time (s) and sample index, or None; with the rule that found it.

    Attributes
    ----------
    time : onset time in s on the Trial's time axis, or None when no onset was found.
    index : 0-based sample index of the onset, or None.
    threshold : the detection threshold, in the units of the method's detection signal (the
        smoothed rectified EMG for ``hodges_bui``, the linear envelope for ``hysteresis``, whose
        onset level is lower, the enveloped Teager-Kaiser energy for ``teager_kaiser``, the
        log-likelihood ratio for ``aglr``).
    method : the method name (a key of :data:`ONSET_METHODS`).
    parameters : every parameter used, defaults included, with units in the names.
    reference : the paper(s) the method follows.
    left_censored : True when the signal was already active at the first sample of the search
        window; the reported onset is that sample and the true onset may be earlier.
    """

    time: float | None
    index: int | None
    threshold: float
    method: str
    parameters: dict
    reference: str = ""
    left_censored: bool = False


# --------------------------------------------------------------------------------------------
# validation helpers


def _signal(values, what: str = "EMG signal") -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size < 2:
        raise RecordingError(describe(what, "a 1-D signal of at least 2 samples", f"shape {array.shape}"))
    bad = ~np.isfinite(array)
    if np.any(bad):
        first = int(np.argmax(bad))
        raise RecordingError(
            describe(
                what,
                "finite values",
                f"NaN or inf at sample {first} ({int(bad.sum())} samples)",
                "fill or cut the gap before measuring",
            )
        )
    return array


def _rate(rate_hz) -> float:
    rate = float(rate_hz)
    if not math.isfinite(rate) or rate <= 0:
        raise ParameterError(describe("rate_hz", "a positive sampling rate in Hz", rate_hz))
    return rate


def _time(time, n: int, what: str) -> tuple[np.ndarray, float]:
    """Validated time vector (s) of ``n`` samples and its sampling rate (Hz)."""
    time = np.asarray(time, dtype=float)
    if time.ndim != 1 or time.size != n:
        raise RecordingError(
            describe(f"{what}, time", f"a 1-D vector of {n} samples (as the signal)", time.shape)
        )
    if not np.all(np.isfinite(time)):
        raise RecordingError(describe(f"{what}, time", "finite values", "NaN or inf"))
    step = np.diff(time)
    if np.any(step <= 0):
        raise RecordingError(describe(f"{what}, time", "strictly increasing values", "a non-increasing step"))
    median = float(np.median(step))
    if np.max(np.abs(step - median)) > UNIFORM_TOLERANCE * median:
        raise RecordingError(
            describe(
                f"{what}, time",
                f"uniform sampling (steps within {UNIFORM_TOLERANCE:.0%} of the median)",
                f"steps from {step.min():.6g} to {step.max():.6g} s",
                "resample before filtering",
            )
        )
    return time, round(1.0 / median, 6)  # to 1 uHz: 200 Hz, not 199.99999999996 from float steps


def _window(window, name: str) -> tuple[float, float]:
    try:
        start, stop = (float(window[0]), float(window[1]))
    except (TypeError, ValueError, IndexError):
        raise ParameterError(describe(name, "a (start, stop) pair of times in s", window)) from None
    if not (math.isfinite(start) and math.isfinite(stop)) or stop <= start:
        raise ParameterError(describe(name, "finite times with start < stop (s)", window))
    return start, stop


def _zero_phase(x: np.ndarray, sos: np.ndarray, what: str) -> np.ndarray:
    pad = 3 * (2 * len(sos) + 1)  # scipy's default pad length for sosfiltfilt
    if x.size <= pad:
        raise RecordingError(describe(what, f"more than {pad} samples for a zero-phase filter", x.size))
    return sosfiltfilt(sos, x, padlen=pad)


def _lowpass(x: np.ndarray, rate: float, cutoff_hz: float, order: int, what: str) -> np.ndarray:
    cutoff = float(cutoff_hz)
    if not 0 < cutoff < rate / 2:
        raise ParameterError(
            describe(
                "cutoff_hz",
                f"a low-pass corner in (0, {rate / 2:g}) Hz (below Nyquist at {rate:g} Hz)",
                cutoff_hz,
            )
        )
    return _zero_phase(x, butter(order, cutoff, btype="low", fs=rate, output="sos"), what)


def _odd_samples(window_s: float, rate: float, name: str) -> int:
    window = float(window_s)
    if not math.isfinite(window) or window < 0:
        raise ParameterError(describe(name, "a non-negative duration in s", window_s))
    return 2 * int(np.rint(window * rate / 2)) + 1


# --------------------------------------------------------------------------------------------
# processing verbs


def emg_clean(
    signal, rate_hz: float, *, band: tuple[float, float] = DEFAULT_BAND_HZ, order: int = 4
) -> np.ndarray:
    """Band-pass a raw EMG with a zero-phase Butterworth filter.

    Parameters
    ----------
    signal : raw EMG (any unit; the output keeps it).
    rate_hz : sampling rate (Hz).
    band : (low, high) corners (Hz). The high corner is clipped to
        ``NYQUIST_FRACTION * rate_hz / 2`` (0.9 of Nyquist): at 200 Hz, 20-450 Hz becomes 20-90 Hz.
    order : Butterworth order of each edge (``scipy.signal.butter``).

    Returns
    -------
    The filtered signal, same length and unit; DC and drifts below the low corner removed.

    Raises
    ------
    ParameterError
        A band that is not ``0 < low < high``, an order below 1, or a sampling rate so low that
        the clipped high corner falls at or below the low one (for 20 Hz: below 44.4 Hz).
    RecordingError
        NaN or inf in the signal, or fewer samples than the filter's edge padding.

    Notes
    -----
    The filter runs forward and backward (``sosfiltfilt``): no phase shift, so an onset is not
    delayed, and the magnitude response is squared, ``|H(f)|^2``: gain 1 in the pass band and 0.5
    (-6 dB) at each corner. For a 4th-order edge the gain a factor ``r`` beyond a corner is about
    ``1 / (1 + r^8)``; at 5 Hz against a 20 Hz corner, 1.5e-5.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0, 1, 1e-3)
    >>> x = np.sin(2 * np.pi * 100 * t) + np.sin(2 * np.pi * 2 * t)
    >>> y = emg_clean(x, 1000.0)
    >>> bool(np.allclose(y[200:800], np.sin(2 * np.pi * 100 * t[200:800]), atol=0.02))
    True
    """
    x = _signal(signal)
    rate = _rate(rate_hz)
    try:
        low, high = float(band[0]), float(band[1])
    except (TypeError, ValueError, IndexError):
        raise ParameterError(describe("band", "a (low, high) pair in Hz", band)) from None
    if not (math.isfinite(low) and math.isfinite(high)) or not 0 < low < high:
        raise ParameterError(describe("band", "corners 0 < low < high (Hz)", band))
    if isinstance(order, bool) or not isinstance(order, int | np.integer) or order < 1:
        raise ParameterError(describe("order", "a positive integer", order))
    high = min(high, NYQUIST_FRACTION * rate / 2)
    if high <= low:
        raise ParameterError(
            describe(
                "rate_hz",
                f"a sampling rate above {2 * low / NYQUIST_FRACTION:g} Hz for a {low:g} Hz low corner",
                f"{rate:g} Hz",
                f"the high corner, clipped to {NYQUIST_FRACTION} x Nyquist, is {high:g} Hz",
            )
        )
    sos = butter(int(order), [low, high], btype="bandpass", fs=rate, output="sos")
    return _zero_phase(x, sos, "EMG signal")


def emg_rectify(signal) -> np.ndarray:
    """Full-wave rectification, ``|x|``.

    Examples
    --------
    >>> emg_rectify([-1.0, 0.5, -0.25]).tolist()
    [1.0, 0.5, 0.25]
    """
    return np.abs(_signal(signal))


def _envelope_lowpass(x: np.ndarray, rate: float, cutoff_hz: float, window_s: float) -> np.ndarray:
    del window_s
    return _lowpass(np.abs(x), rate, cutoff_hz, 4, "EMG signal")


def _envelope_rms(x: np.ndarray, rate: float, cutoff_hz: float, window_s: float) -> np.ndarray:
    del cutoff_hz
    width = _odd_samples(window_s, rate, "window_s")
    return np.sqrt(np.maximum(uniform_filter1d(x * x, size=width, mode="nearest"), 0.0))


ENVELOPE_METHODS = Registry("EMG envelope method", {
    "lowpass": Method(_envelope_lowpass, "Winter 2009, ch. 10 (linear envelope: rectify, low-pass)"),
    "rms": Method(_envelope_rms, "Merletti 1999 (moving root mean square)"),
})
"""Envelope methods of :func:`emg_envelope`: name -> :class:`~myoreflex.measures.Method`."""


def emg_envelope(
    signal, rate_hz: float, *, cutoff_hz: float = 6.0, method: str = "lowpass", window_s: float = 0.05
) -> np.ndarray:
    """Amplitude envelope of a (band-passed) EMG.

    Parameters
    ----------
    signal : band-passed EMG (:func:`emg_clean`); it is rectified here.
    rate_hz : sampling rate (Hz).
    cutoff_hz : corner of the zero-phase 4th-order Butterworth low-pass (``method="lowpass"``).
        6 Hz is the linear-envelope corner of Winter 2009 (ch. 10) and NeuroKit2's default range.
    method : ``"lowpass"`` (linear envelope) or ``"rms"`` (moving root mean square).
    window_s : centred window of the RMS (``method="rms"``), s.

    Returns
    -------
    The envelope, same length and unit as the signal; non-negative for ``"rms"``.

    Notes
    -----
    lowpass: ``e = LP(|x|)``; rms: ``e[n] = sqrt(mean(x[n-w..n+w]^2))`` with ``2w + 1`` samples
    spanning ``window_s``, the edges padded with the end values.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(0.0, 1.0, 4000)
    >>> e = emg_envelope(x, 1000.0, method="rms", window_s=0.2)
    >>> bool(abs(np.median(e) - 1.0) < 0.1)
    True
    """
    entry = ENVELOPE_METHODS.lookup(method)
    return entry.function(_signal(signal), _rate(rate_hz), cutoff_hz, window_s)


@dataclasses.dataclass(frozen=True)
class ProcessedEMG(Record):
    """The steps of :func:`emg_process`: cleaned, rectified and enveloped signal, and settings."""

    cleaned: np.ndarray
    rectified: np.ndarray
    envelope: np.ndarray
    rate_hz: float
    band_hz: tuple[float, float]
    envelope_method: str
    cutoff_hz: float
    window_s: float


def emg_process(
    signal,
    rate_hz: float,
    *,
    band: tuple[float, float] = DEFAULT_BAND_HZ,
    order: int = 4,
    envelope: str = "lowpass",
    cutoff_hz: float = 6.0,
    window_s: float = 0.05,
) -> ProcessedEMG:
    """Band-pass, rectify and envelope a raw EMG: :func:`emg_clean`, :func:`emg_rectify`,
    :func:`emg_envelope` in a row.

    ``band_hz`` in the result is the band actually used (high corner clipped below Nyquist).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).normal(0.0, 1.0, 2000)
    >>> p = emg_process(x, 200.0)
    >>> p.band_hz, p.envelope.shape
    ((20.0, 90.0), (2000,))
    """
    rate = _rate(rate_hz)
    cleaned = emg_clean(signal, rate, band=band, order=order)
    return ProcessedEMG(
        cleaned=cleaned,
        rectified=emg_rectify(cleaned),
        envelope=emg_envelope(cleaned, rate, cutoff_hz=cutoff_hz, method=envelope, window_s=window_s),
        rate_hz=rate,
        band_hz=(float(band[0]), float(min(band[1], NYQUIST_FRACTION * rate / 2))),
        envelope_method=envelope,
        cutoff_hz=float(cutoff_hz),
        window_s=float(window_s),
    )


# --------------------------------------------------------------------------------------------
# onset detection


def _first_sustained(above: np.ndarray, need: int) -> int | None:
    """Index of the first sample that starts a run of at least ``need`` True values, or None."""
    padded = np.concatenate(([False], above, [False])).astype(np.int8)
    edges = np.diff(padded)
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    long_enough = np.flatnonzero(stops - starts >= need)
    return int(starts[long_enough[0]]) if long_enough.size else None


def _trailing_mean(x: np.ndarray, rate: float, window_s: float) -> np.ndarray:
    """Mean over the trailing ``window_s`` (s) of each sample, itself included: causal, so the
    result never rises before the signal does. ``window_s = 0``: the signal itself."""
    window = float(window_s)
    if not math.isfinite(window) or window < 0:
        raise ParameterError(describe("window_s", "a non-negative duration in s", window_s))
    n = max(1, int(np.rint(window * rate)))
    if n == 1:
        return x
    sums = np.concatenate([[0.0], np.cumsum(x)])
    index = np.arange(x.size)
    lo = np.maximum(index + 1 - n, 0)
    return (sums[index + 1] - sums[lo]) / (index + 1 - lo)


def _threshold_onset(
    detect: np.ndarray, base: np.ndarray, search: np.ndarray, k: float, floor: float, need: int
) -> tuple[int | None, float]:
    """Mean + max(k SD, floor) rule shared by the threshold methods: (index within search, threshold)."""
    baseline = detect[base]
    scale = float(np.max(np.abs(detect))) if detect.size else 0.0
    rise = max(k * float(np.std(baseline)), float(floor), RELATIVE_FLOOR * scale)
    threshold = float(np.mean(baseline)) + rise
    return _first_sustained(detect[search] > threshold, need), threshold


def _check_threshold_parameters(k, min_duration_s, floor):
    if not math.isfinite(k) or k < 0:
        raise ParameterError(describe("k", "a non-negative number of baseline SDs", k))
    if not math.isfinite(min_duration_s) or min_duration_s < 0:
        raise ParameterError(describe("min_duration_s", "a non-negative duration in s", min_duration_s))
    if not math.isfinite(floor) or floor < 0:
        raise ParameterError(describe("floor", "a non-negative rise in the signal's unit", floor))


def _smoothed_threshold(detect, rate, base, search, *, k, min_duration_s, cutoff_hz, order, window_s, floor):
    """The threshold rule on ``MA_T(LP(detect))``: (index within search or None, threshold)."""
    _check_threshold_parameters(k, min_duration_s, floor)
    if cutoff_hz is not None:
        detect = _lowpass(detect, rate, cutoff_hz, order, "EMG signal")
    detect = _trailing_mean(detect, rate, window_s)
    need = max(1, int(np.rint(min_duration_s * rate)))
    return _threshold_onset(detect, base, search, k, floor, need)


def _hodges_bui(x, rate, base, search, *, k: float = 3.0, min_duration_s: float = 0.02,
                cutoff_hz: float | None = 50.0, window_s: float = 0.02, floor: float = 0.0):
    """Hodges & Bui 1996: the one Hodges & Bui onset of myoreflex.

    Detection signal ``d = MA_T(LP(|x|))``: full-wave rectification, a zero-phase 4th-order
    Butterworth low-pass at ``cutoff_hz`` (None: none) and a trailing moving average over
    ``window_s`` (T). Threshold ``mean_b(d) + max(k SD_b(d), floor)`` over the baseline samples
    b; the onset is the first search sample from which ``d`` stays above it for
    ``min_duration_s``.

    Hodges & Bui compared 27 combinations against visual onsets: low-pass corners of 10, 50 and
    500 Hz, thresholds of 1, 2 and 3 baseline SD, and 20, 50 and 100 ms over which the mean must
    exceed the threshold (their abstract). The defaults are one of them: 50 Hz, k = 3, T = 20 ms,
    with T also the time the mean must stay above (a guard against a single spike). The moving
    average is trailing, not centred: a centred 25 ms window dated white-noise bursts five times
    the baseline 8-12 ms early at 1 kHz; this rule dates them 0-4 ms late (the zero-phase
    low-pass spreads a burst by a few ms only), and the lambda-model stretches' onsets 1.3 ms
    early on average (``tests/measures/test_emg.py``, ``test_threshold.py``).
    :data:`BARE_THRESHOLD` turns the conditioning off for an envelope or a noise-free simulated
    excitation.
    """
    return _smoothed_threshold(np.abs(x), rate, base, search, k=k, min_duration_s=min_duration_s,
                               cutoff_hz=cutoff_hz, order=4, window_s=window_s, floor=floor)


BARE_THRESHOLD = {"cutoff_hz": None, "window_s": 0.0, "floor": 0.01}
"""``hodges_bui`` settings for a signal that is already an envelope (a simulated excitation, unit
``1``): no low-pass, no moving average, and a rise of at least 0.01 (1 % of maximal excitation):
a noise-free baseline has SD 0, so mean + 3 SD alone would flag numerical ripple."""


def teager_kaiser_energy(signal) -> np.ndarray:
    """Teager-Kaiser energy operator, ``psi[n] = x[n]^2 - x[n-1] x[n+1]``.

    Kaiser 1990 (Proc IEEE ICASSP, 381-384); for a sinusoid ``A sin(w n)`` it equals
    ``A^2 sin^2(w)``: it grows with amplitude and frequency, which sharpens EMG bursts against a
    low-frequency baseline (Li et al. 2007). The end samples repeat their neighbours.

    Examples
    --------
    >>> import numpy as np
    >>> n = np.arange(100)
    >>> psi = teager_kaiser_energy(2.0 * np.sin(0.3 * n))
    >>> bool(np.allclose(psi, 4.0 * np.sin(0.3) ** 2))
    True
    """
    x = _signal(signal)
    psi = np.empty_like(x)
    psi[1:-1] = x[1:-1] ** 2 - x[:-2] * x[2:]
    psi[0], psi[-1] = psi[1], psi[-2]
    return psi


def _teager_kaiser(x, rate, base, search, *, k: float = 3.0, min_duration_s: float = 0.02,
                   cutoff_hz: float | None = 50.0, window_s: float = 0.0, floor: float = 0.0):
    """Li, Zhou & Aruin 2007; Solnik et al. 2010.

    Detection signal ``d = MA_T(LP(|psi(x)|))``, psi the Teager-Kaiser energy operator, then the
    same threshold rule as Hodges & Bui (Solnik et al.: TKEO, full-wave rectification, 50 Hz
    low-pass, threshold mean + h SD of the baseline). The low-pass is 2nd order; the defaults
    (k = 3, 20 ms, no moving average) carry the Hodges & Bui values over, since the operator
    changes the signal, not the rule.
    """
    return _smoothed_threshold(np.abs(teager_kaiser_energy(x)), rate, base, search, k=k,
                               min_duration_s=min_duration_s, cutoff_hz=cutoff_hz, order=2,
                               window_s=window_s, floor=floor)


def _hysteresis(x, rate, base, search, *, k: float = 10.0, k_onset: float = 3.0, cutoff_hz: float = 10.0,
                min_duration_s: float = 0.0, floor: float = 0.0):
    """Two-level threshold on the linear envelope: detect high, date the onset low.

    Detection signal ``d = LP(|x|)``: full-wave rectification and a zero-phase 2nd-order
    Butterworth low-pass at ``cutoff_hz`` (run forward and backward: -6 dB at the corner).
    With the baseline mean ``m`` and rise ``R = max(k SD_b(d), floor)``, activity is detected at
    the first search sample from which ``d > m + R`` for ``min_duration_s``; the onset is the
    sample after the last one before it with ``d <= m + (k_onset / k) R`` (with ``floor`` unused:
    ``m + k_onset SD``), not earlier than the search start. Staude et al. 2001 separate the
    alarm of a detector from the estimate of the onset time; the low level is Hodges & Bui's
    3 SD. Defaults chosen on the IPSA recordings (module docstring): any ``k`` from 6 to 15, any
    corner from 6 to 10 Hz with ``k_onset = 3`` gives the same agreement there.

    Bias: the forward-backward 10 Hz low-pass reaches 1 % of a step 33 ms and 10 % of it 22 ms
    before the step, so a sudden burst far above the onset level is dated early, by about 25 ms
    for white-noise bursts 5 times the baseline at 1 kHz (``aglr`` is unbiased there). On the
    IPSA recordings this matches the lab's onsets; for abrupt, clean bursts prefer ``aglr``.
    """
    _check_threshold_parameters(k, min_duration_s, floor)
    if not math.isfinite(k_onset) or not 0 <= k_onset <= k:
        raise ParameterError(describe("k_onset", f"a number of baseline SDs in [0, k = {k:g}]", k_onset))
    detect = _lowpass(np.abs(x), rate, cutoff_hz, 2, "EMG signal")
    baseline = detect[base]
    mean = float(np.mean(baseline))
    scale = float(np.max(np.abs(detect)))
    rise = max(k * float(np.std(baseline)), float(floor), RELATIVE_FLOOR * scale)
    threshold = mean + rise
    need = max(1, int(np.rint(min_duration_s * rate)))
    searched = detect[search]
    first = _first_sustained(searched > threshold, need)
    if first is None:
        return None, threshold
    low = mean + (rise * k_onset / k if k > 0 else 0.0)
    quiet = np.flatnonzero(searched[:first] <= low)
    return (int(quiet[-1]) + 1 if quiet.size else 0), threshold


def _log_likelihood_ratio(ratio: np.ndarray, count) -> np.ndarray:
    """``m/2 (r - 1 - ln r)`` for a variance ratio r > 1 over m samples, 0 for r <= 1."""
    r = np.maximum(ratio, 1.0)
    return 0.5 * count * (r - 1.0 - np.log(r))


def _aglr(x, rate, base, search, *, h: float = 20.0, window_s: float = 0.05, floor: float = 0.0):
    """Staude & Wolf 1999; Staude et al. 2001 (AGLR-step, variance change).

    Model: ``x[n]`` zero-mean Gaussian with variance ``s0^2`` before the change and ``s1^2 >
    s0^2`` after it. ``s0^2`` is the mean square of the baseline (its mean removed from the whole
    signal). Test (stopping rule): over the trailing window of L samples ending at n,
    ``s1^2(n) = mean(x^2)`` and ``g(n) = L/2 (r - 1 - ln r)``, ``r = s1^2 / s0^2`` (0 when
    ``r <= 1``); the alarm ``n_a`` is the first search sample with ``g > h``. Change time: the
    maximum-likelihood estimate ``argmax_j (n_a - j + 1)/2 (r_j - 1 - ln r_j)``, ``r_j`` the mean
    square of ``x[j..n_a]`` over ``s0^2``, over ``j`` from ``n_a - L + 1`` (not before the
    search start) to ``n_a``. ``floor``: smallest standard deviation accepted for ``s0`` (in the
    signal's unit), for noise-free signals. The threshold reported is ``h``.

    Defaults: ``h = 20``. Without a change and for independent Gaussian samples, ``2 g`` is
    asymptotically chi-square with one degree of freedom, so one test exceeds ``h`` with
    probability ``P(chi2_1 > 40) / 2 ~ 1e-10``; the margin absorbs what the model ignores
    (band-passed samples are correlated, EMG is not exactly Gaussian). ``L = 50 ms``: long
    enough for a variance estimate from 10 samples at 200 Hz, short enough to alarm within a
    reflex burst.
    """
    if not math.isfinite(h) or h <= 0:
        raise ParameterError(describe("h", "a positive log-likelihood threshold", h))
    if not math.isfinite(floor) or floor < 0:
        raise ParameterError(
            describe("floor", "a non-negative standard deviation in the signal's unit", floor)
        )
    if not math.isfinite(window_s) or window_s <= 0:
        raise ParameterError(describe("window_s", "a positive test-window length in s", window_s))
    length = max(2, int(np.rint(float(window_s) * rate)))
    x = x - float(np.mean(x[base]))
    square = x * x
    scale = float(np.max(square)) if square.size else 0.0
    variance0 = max(float(np.mean(square[base])), float(floor) ** 2, RELATIVE_FLOOR * scale)
    if variance0 == 0.0:  # the signal is exactly zero everywhere: nothing can change
        return None, float(h)
    cumulative = np.concatenate(([0.0], np.cumsum(square)))
    ends = np.arange(square.size)
    starts = np.maximum(ends - length + 1, 0)
    counts = ends - starts + 1
    window_mean = (cumulative[ends + 1] - cumulative[starts]) / counts
    statistic = _log_likelihood_ratio(window_mean / variance0, counts)
    hits = np.flatnonzero(statistic[search] > h)
    if hits.size == 0:
        return None, float(h)
    search_start = int(search[0])
    alarm = int(search[hits[0]])
    candidates = np.arange(max(alarm - length + 1, search_start), alarm + 1)
    segment = alarm - candidates + 1
    segment_mean = (cumulative[alarm + 1] - cumulative[candidates]) / segment
    likelihood = _log_likelihood_ratio(segment_mean / variance0, segment)
    return int(candidates[int(np.argmax(likelihood))] - search_start), float(h)


ONSET_METHODS = Registry("EMG onset method", {
    "hodges_bui": Method(_hodges_bui, "Hodges & Bui 1996, Electroencephalogr Clin Neurophysiol 101:511-519"),
    "teager_kaiser": Method(_teager_kaiser, "Li, Zhou & Aruin 2007, Ann Biomed Eng 35:1532-1538; "
                            "Solnik et al. 2010, Eur J Appl Physiol 110:489-498"),
    "aglr": Method(_aglr, "Staude & Wolf 1999, Med Eng Phys 21:449-467; Staude et al. 2001, EURASIP J Appl "
                   "Signal Process 2001(2):67-81"),
    "hysteresis": Method(_hysteresis, "Staude et al. 2001 (detection, then onset estimation); Hodges & Bui "
                         "1996 (mean + 3 SD); Winter 2009 (linear envelope); levels chosen on the KU Leuven "
                         "IPSA recordings"),
})
"""Onset methods: name -> :class:`~myoreflex.measures.Method`. Each function takes the band-passed
signal, the rate (Hz), the baseline and search sample indices and its own keyword parameters, and
returns (index within the search window or None, threshold)."""

DEFAULT_ONSET_METHOD = "hysteresis"
"""The default of :func:`emg_onset` and :func:`emg_onsets` (see the module docstring)."""


def _method_parameters(entry: Method, method: str, given: dict) -> dict:
    signature = inspect.signature(entry.function)
    accepted = {name: p.default for name, p in signature.parameters.items() if p.kind is p.KEYWORD_ONLY}
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise ParameterError(
            describe(f"parameters of onset method `{method}`", f"names among {sorted(accepted)}", unknown)
        )
    return {**accepted, **given}


def emg_onset(
    time,
    signal,
    *,
    method: str = DEFAULT_ONSET_METHOD,
    baseline: tuple[float, float],
    search: tuple[float, float] | None = None,
    **method_params,
) -> Onset:
    """Onset of EMG activity in one band-passed signal.

    Parameters
    ----------
    time : sample times (s), uniformly sampled.
    signal : band-passed EMG (:func:`emg_clean`), any unit. The method rectifies, filters or
        transforms it as its paper does.
    method : a key of :data:`ONSET_METHODS`: ``"hysteresis"`` (default), ``"hodges_bui"``,
        ``"teager_kaiser"`` or ``"aglr"``.
    baseline : (start, stop) of the rest window (s) whose statistics define "no activity"; at
        least :data:`MIN_BASELINE_SAMPLES` samples.
    search : (start, stop) of the window searched for the onset (s); default from the end of the
        baseline to the end of the signal.
    **method_params : the method's parameters, each with its default in the method's function:
        ``k``, ``k_onset``, ``cutoff_hz``, ``min_duration_s``, ``floor`` (``hysteresis``);
        ``k``, ``min_duration_s``, ``cutoff_hz``, ``window_s``, ``floor`` (``hodges_bui``,
        ``teager_kaiser``); ``h``, ``window_s``, ``floor`` (``aglr``).

    Returns
    -------
    Onset
        ``time``/``index`` of the first sample of activity, or None for both when there is none.
        ``parameters`` holds every parameter used (defaults included), the baseline and search
        windows. ``left_censored`` is True when the signal is already active at the first search
        sample: the onset is reported at that sample (it may truly be earlier).

    Raises
    ------
    ParameterError
        Unknown method or parameter, a window with start >= stop.
    RecordingError
        NaN or inf in the signal, time not uniform, a baseline window with fewer than
        :data:`MIN_BASELINE_SAMPLES` samples, an empty search window.

    Notes
    -----
    Activity must last ``min_duration_s`` to count (threshold methods): a burst that starts
    closer than that to the end of the search window is not confirmed and gives no onset; with
    ``min_duration_s=0`` a single sample above the threshold counts, the last sample included.
    A flat (constant) signal has no onset: the threshold's rise is at least
    ``RELATIVE_FLOOR`` times the detection signal's largest value. A baseline that already holds
    activity inflates the threshold (fewer, later onsets): choose a rest window.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(0.0, 2.0, 1e-3)
    >>> x = rng.normal(0.0, 0.05, t.size) + (t >= 1.2) * rng.normal(0.0, 0.25, t.size)
    >>> onset = emg_onset(t, emg_clean(x, 1000.0), baseline=(0.0, 0.5), method="aglr")
    >>> round(onset.time, 3), onset.method, onset.parameters["h"]
    (1.201, 'aglr', 20.0)
    >>> round(emg_onset(t, emg_clean(x, 1000.0), baseline=(0.0, 0.5)).time, 2)  # hysteresis: dated early
    1.18
    """
    entry = ONSET_METHODS.lookup(method)
    params = _method_parameters(entry, method, method_params)
    x = _signal(signal)
    time, rate = _time(time, x.size, "EMG signal")
    base_window = _window(baseline, "baseline")
    base = np.flatnonzero((time >= base_window[0]) & (time <= base_window[1]))
    if base.size < MIN_BASELINE_SAMPLES:
        raise RecordingError(
            describe(
                "EMG baseline window",
                f"at least {MIN_BASELINE_SAMPLES} samples ({MIN_BASELINE_SAMPLES / rate:g} s at {rate:g} Hz)",
                f"{base.size} samples in {list(base_window)} s",
                "widen the rest window",
            )
        )
    search_window = _window(search, "search") if search is not None else (base_window[1], float(time[-1]))
    searched = np.flatnonzero((time >= search_window[0]) & (time <= search_window[1]))
    if base_window[1] >= time[-1] and search is None:
        searched = np.array([], dtype=int)
    if searched.size == 0:
        raise RecordingError(
            describe(
                "EMG search window",
                "at least one sample after the baseline",
                f"none in {list(search_window)} s",
                "pass search=(start, stop)",
            )
        )
    first, threshold = entry.function(x, rate, base, searched, **params)
    recorded = {**params, "baseline_s": list(base_window), "search_s": list(search_window)}
    if first is None:
        return Onset(None, None, threshold, method, recorded, entry.reference)
    index = int(searched[first])
    return Onset(
        float(time[index]), index, threshold, method, recorded, entry.reference, left_censored=first == 0
    )


def emg_onsets(
    trial: Trial,
    *,
    muscles: list[str] | None = None,
    method: str = DEFAULT_ONSET_METHOD,
    baseline: tuple[float, float],
    search: tuple[float, float] | None = None,
    clean: bool | None = None,
    band: tuple[float, float] = DEFAULT_BAND_HZ,
    **method_params,
) -> dict[str, Onset]:
    """Onsets in the ``emg_<muscle>`` channels of a Trial, one :class:`Onset` per muscle.

    Parameters
    ----------
    trial : the recording; its ``emg_<muscle>`` channels are the raw EMG (V) or normalised
        excitations (unit ``1``, as simulated).
    muscles : which muscles (default: every ``emg_<muscle>`` channel, in the Trial's order).
    method, baseline, search, **method_params : as :func:`emg_onset`, the same for every muscle.
        A normalised excitation (unit ``1``) measured by ``hodges_bui`` takes
        :data:`BARE_THRESHOLD` as its defaults (it is already an envelope, and noise-free).
    clean : band-pass each channel with :func:`emg_clean` (``band``) first; None (default): a
        channel in V is band-passed, a normalised one (unit ``1``) is not. Pass False for a
        signal that is already band-passed or is an envelope.
    band : pass band (Hz) when cleaning.

    Returns
    -------
    dict muscle -> Onset; ``parameters`` of each also record ``clean`` and the band used.

    Raises
    ------
    RecordingError
        No EMG channel, an unknown muscle, NaN or inf in a channel (the message names the Trial's
        source and the channel), and the errors of :func:`emg_onset`.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> rng = np.random.default_rng(2)
    >>> t = np.arange(0.0, 2.0, 1e-3)
    >>> burst = lambda at: rng.normal(0.0, 0.05, t.size) + (t >= at) * rng.normal(0.0, 0.25, t.size)
    >>> trial = Trial(t, {"emg_sol": Channel(burst(1.0), "V"), "emg_tia": Channel(burst(1.5), "V")})
    >>> {m: round(o.time, 2) for m, o in emg_onsets(trial, baseline=(0.0, 0.5), method="aglr").items()}
    {'sol': 1.0, 'tia': 1.5}
    """
    source = trial.source
    names = trial.emg_names()
    if not names:
        raise RecordingError(
            describe(f"`{source}`", "at least one emg_<muscle> channel", f"channels {sorted(trial.channels)}")
        )
    chosen = list(names if muscles is None else muscles)
    rate = _time(trial.time, trial.time.size, f"`{source}`")[1]
    band_used = (float(band[0]), float(min(band[1], NYQUIST_FRACTION * rate / 2)))
    onsets = {}
    for muscle in chosen:
        name = f"emg_{muscle}"
        where = f"`{source}`, channel `{name}`"
        channel = trial.channel(name)
        values = _signal(channel.values, where)
        normalised = channel.unit == "1"
        cleaned = not normalised if clean is None else clean
        if cleaned:
            try:
                values = emg_clean(values, rate, band=band)
            except RecordingError as exc:
                raise RecordingError(f"{where}: {exc}") from None
        bare = normalised and method == "hodges_bui"
        params = {**BARE_THRESHOLD, **method_params} if bare else method_params
        try:
            onset = emg_onset(trial.time, values, method=method, baseline=baseline, search=search, **params)
        except RecordingError as exc:
            raise RecordingError(f"{where}: {exc}") from None
        recorded = {
            **onset.parameters,
            "clean": cleaned,
            "band_hz": list(band_used) if cleaned else None,
        }
        onsets[muscle] = dataclasses.replace(onset, parameters=recorded)
    return onsets


def stretch_windows(
    trial: Trial, *, fraction: float = 0.1, latency_s: float = 0.1
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Rest window before a stretch and the window searched for its reflex onset (s).

    The movement runs from the first to the last sample whose ``|angular_velocity|`` exceeds
    ``fraction`` of its peak. Baseline: from the first sample to the movement start. Search:
    from the movement start to its end plus ``latency_s``, since a reflex burst follows the
    stretch that causes it by its latency (short- and long-latency stretch reflexes fall within
    about 100 ms).

    Parameters
    ----------
    trial : a stretch with an ``angular_velocity`` channel (rad/s), or an ``angle`` channel from
        which the velocity is differentiated.
    fraction : velocity level, as a fraction of the peak, that marks the movement.
    latency_s : allowance after the movement's end (s).

    Returns
    -------
    (baseline, search), each a (start, stop) pair in s, ready for :func:`emg_onsets`.

    Raises
    ------
    RecordingError
        No velocity or angle channel, a still trace, or a movement that starts at the first
        sample (no rest before it).

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.arange(0.0, 2.0, 0.01)
    >>> trial = Trial(t, {"angular_velocity": Channel(np.where((t > 1.0) & (t < 1.5), 1.0, 0.0), "rad/s")})
    >>> stretch_windows(trial)
    ((0.0, 1.01), (1.01, 1.59))
    """
    source = trial.source
    if not 0 < fraction < 1:
        raise ParameterError(describe("fraction", "a fraction of the peak velocity in (0, 1)", fraction))
    if not math.isfinite(latency_s) or latency_s < 0:
        raise ParameterError(describe("latency_s", "a non-negative duration in s", latency_s))
    if "angular_velocity" in trial:
        velocity = _signal(trial["angular_velocity"], f"`{source}`, channel `angular_velocity`")
    elif "angle" in trial:
        velocity = np.gradient(_signal(trial["angle"], f"`{source}`, channel `angle`"), trial.time)
    else:
        raise RecordingError(
            describe(
                f"`{source}`",
                "an `angular_velocity` or `angle` channel",
                f"channels {sorted(trial.channels)}",
            )
        )
    speed = np.abs(velocity)
    peak = float(np.max(speed))
    if peak == 0.0:
        raise RecordingError(
            describe(f"`{source}`, channel `angular_velocity`", "a movement", "a still trace")
        )
    moving = np.flatnonzero(speed > fraction * peak)
    start, stop = int(moving[0]), int(moving[-1])
    if start == 0:
        raise RecordingError(
            describe(
                f"`{source}`",
                "rest before the stretch",
                "movement from the first sample",
                "the baseline window would be empty",
            )
        )
    time = trial.time
    return (
        (float(time[0]), float(time[start])),
        (float(time[start]), float(min(time[-1], time[stop] + latency_s))),
    )


@dataclasses.dataclass(frozen=True)
class EmgMeasures(Record):
    """EMG onsets of one stretch, per muscle: time (s, or None) and whether it was already active.

    ``baseline_s`` and ``search_s`` are the windows of :func:`stretch_windows`; ``parameters``
    are those of each muscle's :class:`Onset`.
    """

    onset_s: dict[str, float | None]
    left_censored: dict[str, bool]
    baseline_s: tuple[float, float]
    search_s: tuple[float, float]
    method: str
    reference: str
    parameters: dict[str, dict[str, Any]]


def measure(
    trial: Trial, *, muscles: list[str] | None = None, method: str = DEFAULT_ONSET_METHOD, **method_params
) -> EmgMeasures:
    """EMG onset of every muscle (``emg_<muscle>`` channels) during one stretch.

    The rest before the movement is the baseline and the movement plus the reflex latency is
    searched (:func:`stretch_windows`); each channel goes through :func:`emg_onsets` (a channel
    in V is band-passed first). The joint angle at the stretched muscle's onset, the dynamic
    stretch reflex threshold, is :func:`myoreflex.measures.threshold.dsrt`.

    Examples
    --------
    A simulated excitation (unit ``1``) is measured as it is, by the bare Hodges & Bui rule:

    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.arange(0.0, 2.0, 1e-3)
    >>> moving = (t > 0.8) & (t < 1.3)
    >>> trial = Trial(t, {"angular_velocity": Channel(2.0 * moving, "rad/s"),
    ...                   "emg_sol": Channel(0.3 * (t >= 1.0), "1")})
    >>> result = measure(trial, method="hodges_bui")
    >>> {muscle: round(time, 3) for muscle, time in result.onset_s.items()}, result.search_s
    ({'sol': 1.0}, (0.801, 1.399))
    """
    baseline, search = stretch_windows(trial)
    onsets = emg_onsets(trial, muscles=muscles, method=method, baseline=baseline, search=search,
                        **method_params)
    return EmgMeasures(
        onset_s={muscle: onset.time for muscle, onset in onsets.items()},
        left_censored={muscle: onset.left_censored for muscle, onset in onsets.items()},
        baseline_s=baseline,
        search_s=search,
        method=method,
        reference=ONSET_METHODS.lookup(method).reference,
        parameters={muscle: onset.parameters for muscle, onset in onsets.items()},
    )
