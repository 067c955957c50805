"""EMG processing and onset detection (myoreflex.measures.emg) on synthetic signals.

Evidence: analytic (filter gains from the Butterworth response, rectified-sine and RMS means, the
Teager-Kaiser value of a sinusoid), synthetic signals with known onsets for every method, every
edge case of the issue (onset at the first / last sample, no onset, flat signals, NaN, short
baseline), multichannel Trials, and a comparator against NeuroKit2 (skipped when not installed).
The real-data validation is in ``test_emg_ipsa.py``.
"""

import inspect

import numpy as np
import pytest

from myoreflex.errors import ParameterError, RecordingError
from myoreflex.measures.emg import (
    BARE_THRESHOLD,
    DEFAULT_ONSET_METHOD,
    ENVELOPE_METHODS,
    MIN_BASELINE_SAMPLES,
    NYQUIST_FRACTION,
    ONSET_METHODS,
    Onset,
    emg_clean,
    emg_envelope,
    emg_onset,
    emg_onsets,
    emg_process,
    emg_rectify,
    measure,
    stretch_windows,
    teager_kaiser_energy,
)
from myoreflex.trial import Channel, Trial

RATE = 1000.0
NOISE = 0.05  # V, baseline noise SD
BURST = 0.25  # V, burst SD: 5 x the noise, the amplitude of a clear reflex burst over rest


def _gain(frequency_hz: float, rate: float = RATE, duration: float = 4.0, **kwargs) -> float:
    """Steady-state amplitude gain of emg_clean for a sinusoid (middle half of the record)."""
    t = np.arange(0.0, duration, 1.0 / rate)
    y = emg_clean(np.sin(2 * np.pi * frequency_hz * t), rate, **kwargs)
    middle = slice(t.size // 4, 3 * t.size // 4)
    return float(np.sqrt(2.0) * np.std(y[middle]))


def _burst(seed: int, onset_s: float = 1.2, duration: float = 2.0, rate: float = RATE):
    """White noise with a burst of white noise from ``onset_s`` on (a step in variance)."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, duration, 1.0 / rate)
    return t, rng.normal(0.0, NOISE, t.size) + (t >= onset_s) * rng.normal(0.0, BURST, t.size)


# ---------------------------------------------------------------------------------------------
# filters and envelopes


def test_band_pass_gain_is_one_in_the_pass_band_and_zero_phase():
    # 4th-order Butterworth corners at 20 and 450 Hz, run twice: |H(100 Hz)|^2 = 1 - O(1e-5).
    assert _gain(100.0) == pytest.approx(1.0, abs=0.01)
    assert _gain(200.0) == pytest.approx(1.0, abs=0.01)
    t = np.arange(0.0, 1.0, 1.0 / RATE)
    x = np.sin(2 * np.pi * 100.0 * t)
    y = emg_clean(x, RATE)
    lags = np.arange(-5, 6)
    correlation = [np.dot(np.roll(y, lag)[200:800], x[200:800]) for lag in lags]
    assert lags[int(np.argmax(correlation))] == 0  # forward-backward: no delay


def test_band_pass_corners_are_minus_6_db():
    # A Butterworth edge is -3 dB (1/sqrt 2) at its corner; run forward and backward, 1/2.
    assert _gain(20.0, duration=8.0) == pytest.approx(0.5, abs=0.02)
    assert _gain(450.0) == pytest.approx(0.5, abs=0.02)


def test_band_pass_attenuates_the_stop_band():
    # 4 x below the 20 Hz corner: |H|^2 ~ 1 / (1 + 4^8) = 1.5e-5; ask for better than -60 dB.
    assert _gain(5.0, duration=8.0) < 1e-3
    # DC (an electrode offset) is removed entirely.
    assert np.max(np.abs(emg_clean(np.full(2000, 3.0), RATE))) < 1e-6


def test_upper_corner_is_clipped_below_nyquist():
    # At 200 Hz (the IPSA files) 20-450 Hz becomes 20-90 Hz: 0.9 x Nyquist.
    rate = 200.0
    assert NYQUIST_FRACTION * rate / 2 == 90.0
    assert _gain(90.0, rate=rate, duration=20.0) == pytest.approx(0.5, abs=0.03)
    assert _gain(45.0, rate=rate, duration=20.0) == pytest.approx(1.0, abs=0.02)
    assert emg_process(np.random.default_rng(0).normal(size=400), rate).band_hz == (20.0, 90.0)


def test_too_low_rate_and_bad_band_are_errors():
    with pytest.raises(ParameterError, match="44.4"):
        emg_clean(np.zeros(400), 40.0)  # 0.9 x 20 Hz Nyquist = 18 Hz, under the 20 Hz corner
    for band in [(0.0, 100.0), (100.0, 50.0), (np.nan, 100.0), "low"]:
        with pytest.raises(ParameterError):
            emg_clean(np.zeros(400), RATE, band=band)
    with pytest.raises(ParameterError):
        emg_clean(np.zeros(400), RATE, order=0)
    with pytest.raises(ParameterError):
        emg_clean(np.zeros(400), -1.0)


def test_nan_and_too_short_signals_are_recording_errors():
    x = np.zeros(400)
    x[17] = np.nan
    with pytest.raises(RecordingError, match="sample 17"):
        emg_clean(x, RATE)
    with pytest.raises(RecordingError, match="samples"):
        emg_clean(np.zeros(10), RATE)


def test_rectify_is_absolute_value():
    assert emg_rectify([-2.0, 0.0, 3.0]).tolist() == [2.0, 0.0, 3.0]


def test_envelopes_of_a_sine_match_their_closed_forms():
    t = np.arange(0.0, 2.0, 1.0 / RATE)
    x = 2.0 * np.sin(2 * np.pi * 97.3 * t)  # not a divisor of the rate: samples cover all phases
    middle = slice(500, 1500)
    # Linear envelope: the mean of |A sin| is 2A/pi; the 6 Hz low-pass removes the 195 Hz ripple.
    assert np.mean(emg_envelope(x, RATE)[middle]) == pytest.approx(2 * 2.0 / np.pi, rel=0.01)
    assert np.ptp(emg_envelope(x, RATE)[middle]) < 0.01
    # RMS over 51 samples (5 periods): A / sqrt(2) within 1 %.
    rms = emg_envelope(x, RATE, method="rms", window_s=0.05)
    assert np.median(rms[middle]) == pytest.approx(2.0 / np.sqrt(2.0), rel=0.01)
    assert set(ENVELOPE_METHODS) == {"lowpass", "rms"}
    with pytest.raises(ParameterError, match="lowpass"):
        emg_envelope(x, RATE, method="hilbert")
    with pytest.raises(ParameterError, match="cutoff_hz"):
        emg_envelope(x, RATE, cutoff_hz=600.0)


def test_process_chains_the_public_steps():
    x = np.random.default_rng(3).normal(size=3000)
    p = emg_process(x, RATE, envelope="rms", window_s=0.1)
    np.testing.assert_array_equal(p.cleaned, emg_clean(x, RATE))
    np.testing.assert_array_equal(p.rectified, np.abs(p.cleaned))
    np.testing.assert_array_equal(p.envelope, emg_envelope(p.cleaned, RATE, method="rms", window_s=0.1))
    assert (p.rate_hz, p.band_hz, p.envelope_method, p.window_s) == (RATE, (20.0, 450.0), "rms", 0.1)


def test_teager_kaiser_energy_of_a_sinusoid():
    # psi[A sin(w n)] = A^2 sin^2(w) (Kaiser 1990), at every sample.
    n = np.arange(300)
    psi = teager_kaiser_energy(0.5 * np.sin(0.2 * n + 0.3))
    np.testing.assert_allclose(psi, 0.25 * np.sin(0.2) ** 2, rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# onset methods on synthetic bursts

# Error window (s) for a burst 5 x the noise at 1 kHz, from where each method's smoothing reaches:
# the zero-phase filters see a burst before it starts. hodges_bui: the band-pass and 50 Hz low-pass
# spreads only (its 20 ms moving average is trailing: it dates an onset late, if at all). teager_kaiser: no moving average, a
# 2nd-order 50 Hz low-pass. aglr: the maximum-likelihood change time, unbiased but for the
# band-pass spread and its own estimation scatter. hysteresis: the forward-backward 10 Hz
# low-pass reaches 1 % of a step 33 ms before it. Late errors are bounded by a few samples of
# rise above the threshold.
TOLERANCE = {
    "hodges_bui": (-0.005, 0.010),
    "teager_kaiser": (-0.015, 0.010),
    "aglr": (-0.015, 0.010),
    "hysteresis": (-0.040, 0.005),
}


def test_every_method_has_a_tolerance_and_a_reference():
    assert set(TOLERANCE) == set(ONSET_METHODS)
    assert DEFAULT_ONSET_METHOD in ONSET_METHODS
    for name, (function, reference) in ONSET_METHODS.items():
        assert callable(function) and len(reference) > 10, name
    assert len(ONSET_METHODS) >= 3


@pytest.mark.parametrize("method", sorted(ONSET_METHODS))
def test_onset_of_a_synthetic_burst_is_found(method):
    low, high = TOLERANCE[method]
    errors = []
    for seed in range(10):
        t, x = _burst(seed)
        onset = emg_onset(t, emg_clean(x, RATE), method=method, baseline=(0.0, 0.8))
        assert onset.time is not None, seed
        assert onset.time == t[onset.index]
        errors.append(onset.time - 1.2)
    assert low <= min(errors) and max(errors) <= high, np.round(errors, 3)


@pytest.mark.parametrize("method", sorted(ONSET_METHODS))
def test_method_and_parameters_are_recorded(method):
    t, x = _burst(0)
    onset = emg_onset(t, emg_clean(x, RATE), method=method, baseline=(0.0, 0.8), search=(0.8, 1.9))
    assert onset.method == method
    assert onset.reference == ONSET_METHODS[method].reference
    defaults = {
        name: p.default
        for name, p in inspect.signature(ONSET_METHODS[method].function).parameters.items()
        if p.kind is p.KEYWORD_ONLY
    }
    assert {k: onset.parameters[k] for k in defaults} == defaults
    assert onset.parameters["baseline_s"] == [0.0, 0.8] and onset.parameters["search_s"] == [0.8, 1.9]
    # An override is recorded as given.
    name, value = next(iter(defaults.items()))
    changed = emg_onset(t, emg_clean(x, RATE), method=method, baseline=(0.0, 0.8), **{name: value * 1.5})
    assert changed.parameters[name] == value * 1.5


def test_default_is_hysteresis_with_its_levels():
    t, x = _burst(1)
    onset = emg_onset(t, emg_clean(x, RATE), baseline=(0.0, 0.8))
    assert onset.method == "hysteresis"
    assert (onset.parameters["k"], onset.parameters["k_onset"], onset.parameters["cutoff_hz"]) == (
        10.0,
        3.0,
        10.0,
    )


def test_unknown_method_or_parameter_is_a_parameter_error():
    t, x = _burst(0)
    with pytest.raises(ParameterError, match="hodges_bui"):
        emg_onset(t, x, method="visual", baseline=(0.0, 0.8))
    with pytest.raises(ParameterError, match="min_duration_s"):
        emg_onset(t, x, method="hodges_bui", baseline=(0.0, 0.8), min_duration=0.02)
    with pytest.raises(ParameterError, match="k_onset"):
        emg_onset(t, x, baseline=(0.0, 0.8), k_onset=12.0)  # above k = 10
    with pytest.raises(ParameterError, match="h"):
        emg_onset(t, x, method="aglr", baseline=(0.0, 0.8), h=-1.0)


# ---------------------------------------------------------------------------------------------
# edge cases


@pytest.mark.parametrize("method", sorted(ONSET_METHODS))
def test_no_onset_in_noise_gives_none_fields(method):
    rng = np.random.default_rng(11)
    t = np.arange(0.0, 3.0, 1.0 / RATE)
    onset = emg_onset(t, emg_clean(rng.normal(0.0, NOISE, t.size), RATE), method=method, baseline=(0.0, 0.5))
    assert (onset.time, onset.index, onset.left_censored) == (None, None, False)
    assert np.isfinite(onset.threshold) and onset.method == method


@pytest.mark.parametrize("method", sorted(ONSET_METHODS))
@pytest.mark.parametrize("level", [0.0, 3.0])
def test_flat_signal_has_no_onset(method, level):
    t = np.arange(0.0, 2.0, 1.0 / RATE)
    flat = np.full(t.size, level)
    for signal in (flat, emg_clean(flat, RATE)):  # raw constant, and its band-passed ripple
        onset = emg_onset(t, signal, method=method, baseline=(0.0, 0.5))
        assert onset.time is None and onset.index is None


@pytest.mark.parametrize("method", sorted(ONSET_METHODS))
def test_signal_active_from_the_first_sample(method):
    # Activity from t = 0; the rest window is the quiet end; the search starts at the first sample.
    rng = np.random.default_rng(5)
    t = np.arange(0.0, 2.0, 1.0 / RATE)
    x = rng.normal(0.0, NOISE, t.size) + (t < 1.0) * rng.normal(0.0, BURST, t.size)
    onset = emg_onset(t, emg_clean(x, RATE), method=method, baseline=(1.5, 2.0), search=(0.0, 1.5))
    assert onset.index is not None and onset.index <= 10  # within 10 ms of the start
    assert onset.left_censored == (onset.index == 0)
    # hysteresis dates the onset back to the first sample. hodges_bui is causal: its trailing mean
    # over the first samples averages only those, so it may confirm activity a few samples in.
    if method == "hysteresis":
        assert (onset.index, onset.left_censored) == (0, True)


def test_onset_at_the_last_sample():
    # Bare threshold (no filter, no window): only the last sample is above the threshold.
    t = np.arange(0.0, 1.0, 1.0 / RATE)
    envelope = np.full(t.size, 1.0) + 0.01 * np.sin(np.arange(t.size))
    envelope[-1] = 5.0
    onset = emg_onset(
        t,
        envelope,
        method="hodges_bui",
        baseline=(0.0, 0.5),
        k=3.0,
        min_duration_s=0.0,
        cutoff_hz=None,
        window_s=0.0,
    )
    assert (onset.index, onset.time) == (t.size - 1, t[-1])
    # With the default 25 ms minimum duration the same last-sample burst is not confirmed.
    assert (
        emg_onset(t, envelope, method="hodges_bui", baseline=(0.0, 0.5), cutoff_hz=None, window_s=0.0).index
        is None
    )


@pytest.mark.parametrize("method", sorted(ONSET_METHODS))
def test_burst_in_the_last_samples_does_not_crash(method):
    rng = np.random.default_rng(7)
    t = np.arange(0.0, 2.0, 1.0 / RATE)
    x = rng.normal(0.0, NOISE, t.size)
    x[-3:] += rng.normal(0.0, 1.0, 3)
    onset = emg_onset(t, emg_clean(x, RATE), method=method, baseline=(0.0, 0.5), search=(1.8, 2.0))
    # Either unconfirmed, or dated within the smoothing spread (< 0.1 s) of the end.
    assert onset.index is None or onset.index >= t.size - 100


def test_nan_is_a_recording_error_naming_the_channel():
    t, x = _burst(0)
    x[700] = np.nan
    with pytest.raises(RecordingError, match="sample 700"):
        emg_onset(t, x, baseline=(0.0, 0.5))
    trial = Trial(t, {"emg_sol": Channel(x, "V")}, {"source": "knee_07.c3d"})
    with pytest.raises(RecordingError, match=r"knee_07\.c3d.*emg_sol"):
        emg_onsets(trial, baseline=(0.0, 0.5))


def test_short_or_bad_windows_are_errors():
    t, x = _burst(0)
    short = (MIN_BASELINE_SAMPLES - 2) / RATE
    with pytest.raises(RecordingError, match=f"at least {MIN_BASELINE_SAMPLES} samples"):
        emg_onset(t, x, baseline=(0.0, short))
    emg_onset(t, x, baseline=(0.0, (MIN_BASELINE_SAMPLES - 1) / RATE))  # exactly enough
    with pytest.raises(ParameterError, match="baseline"):
        emg_onset(t, x, baseline=(0.5, 0.1))
    with pytest.raises(RecordingError, match="search"):
        emg_onset(t, x, baseline=(0.0, 0.5), search=(5.0, 6.0))
    with pytest.raises(RecordingError, match="search"):
        emg_onset(t, x, baseline=(1.5, 2.5))  # rest at the end and no search window given
    with pytest.raises(RecordingError, match="uniform"):
        emg_onset(np.r_[t[:1000], t[1000:] + 0.01], x, baseline=(0.0, 0.5))
    with pytest.raises(RecordingError, match="samples"):
        emg_onset(t[:-1], x, baseline=(0.0, 0.5))


# ---------------------------------------------------------------------------------------------
# multichannel, bare threshold, stretch windows


@pytest.fixture(scope="module")
def three_muscles() -> Trial:
    rng = np.random.default_rng(21)
    t = np.arange(0.0, 2.5, 1.0 / RATE)

    def channel(onset):
        burst = 0.0 if onset is None else (t >= onset) * rng.normal(0.0, BURST, t.size)
        return Channel(rng.normal(0.0, NOISE, t.size) + burst + 0.3, "V")  # 0.3 V offset: cleaned away

    return Trial(
        t,
        {
            "emg_sol": channel(1.0),
            "emg_gas": channel(1.6),
            "emg_tia": channel(None),
            "angle": Channel(np.zeros(t.size), "rad"),
        },
        {"source": "synthetic"},
    )


@pytest.mark.parametrize("method", sorted(ONSET_METHODS))
def test_multichannel_onsets(three_muscles, method):
    onsets = emg_onsets(three_muscles, method=method, baseline=(0.0, 0.6))
    assert list(onsets) == ["sol", "gas", "tia"]
    low, high = TOLERANCE[method]
    for muscle, true in (("sol", 1.0), ("gas", 1.6)):
        assert true + low <= onsets[muscle].time <= true + high, (muscle, onsets[muscle].time)
    assert onsets["tia"].time is None
    for onset in onsets.values():
        assert isinstance(onset, Onset) and onset.method == method
        assert onset.parameters["clean"] is True and onset.parameters["band_hz"] == [20.0, 450.0]


def test_multichannel_selection_and_missing_channels(three_muscles):
    onsets = emg_onsets(three_muscles, muscles=["gas"], baseline=(0.0, 0.6), method="aglr")
    assert list(onsets) == ["gas"]
    with pytest.raises(RecordingError, match="emg_bic"):
        emg_onsets(three_muscles, muscles=["bic"], baseline=(0.0, 0.6))
    no_emg = Trial(three_muscles.time, {"angle": three_muscles.channel("angle")}, {"source": "synthetic"})
    with pytest.raises(RecordingError, match="emg_<muscle>"):
        emg_onsets(no_emg, baseline=(0.0, 0.6))


def test_unclean_envelope_path_for_simulated_excitation():
    # A noise-free excitation (as the simulator writes): no band-pass, an absolute floor.
    t = np.arange(0.0, 1.0, 1e-3)
    excitation = np.where(t >= 0.4, 0.2 * (1.0 - np.exp(-(t - 0.4) / 0.01)), 0.0)
    trial = Trial(t, {"emg_sol": Channel(excitation, "1")})
    onset = emg_onsets(
        trial, clean=False, method="hodges_bui", baseline=(0.0, 0.3), floor=0.01, cutoff_hz=None, window_s=0.0
    )["sol"]
    assert onset.time == pytest.approx(0.401, abs=0.002)  # 0.01 is reached 0.5 ms after 0.4 s
    assert onset.parameters["clean"] is False and onset.parameters["band_hz"] is None


def test_bare_hodges_bui_rule_on_an_envelope():
    # The rule the stretch reflex thresholds use on a simulated excitation (BARE_THRESHOLD): no
    # low-pass, no moving average, mean + max(k SD, floor) sustained for min_duration_s (20 ms).
    t = np.arange(0.0, 1.0, 0.001)
    step = (t >= 0.5) * 1.0

    def bare(signal, **kwargs):
        return emg_onset(t, signal, method="hodges_bui", baseline=(0.0, 0.3), **{**BARE_THRESHOLD, **kwargs})

    onset = bare(step)
    assert (onset.time, onset.index, onset.threshold, onset.method) == (0.5, 500, 0.01, "hodges_bui")
    assert {k: onset.parameters[k] for k in ("k", "min_duration_s", "cutoff_hz", "window_s", "floor")} == {
        "k": 3.0, "min_duration_s": 0.02, "cutoff_hz": None, "window_s": 0.0, "floor": 0.01}
    blip = step * (t < 0.51)  # 10 ms above: shorter than the 20 ms minimum
    assert bare(blip).time is None
    assert bare(step, min_duration_s=0.0).index == 500
    assert bare(step, floor=0.0).index == 500  # a noise-free baseline: the relative floor still holds
    later = emg_onset(t, step, method="hodges_bui", baseline=(0.0, 0.3), search=(0.7, 1.0), **BARE_THRESHOLD)
    assert later.index == 700
    assert bare(np.zeros(t.size), floor=0.0).time is None
    with pytest.raises(RecordingError, match="at least 20 samples"):
        emg_onset(t, step, method="hodges_bui", baseline=(0.2, 0.21), **BARE_THRESHOLD)


def test_measure_gives_each_muscles_onset_in_the_stretch_windows(three_muscles):
    moving = (three_muscles.time > 0.7) & (three_muscles.time < 2.0)
    stretch = three_muscles.with_channels(angular_velocity=Channel(np.where(moving, 1.0, 0.0), "rad/s"))
    result = measure(stretch, method="aglr")
    assert result.baseline_s == (0.0, pytest.approx(0.7)) and result.search_s[1] == pytest.approx(2.099)
    low, high = TOLERANCE["aglr"]
    assert 1.0 + low <= result.onset_s["sol"] <= 1.0 + high
    assert 1.6 + low <= result.onset_s["gas"] <= 1.6 + high
    assert result.onset_s["tia"] is None and result.method == "aglr" and "Staude" in result.reference
    out = result.as_dict()
    assert out["baseline_s"] == [0.0, pytest.approx(0.7)] and out["parameters"]["sol"]["clean"] is True


def test_stretch_windows_from_velocity():
    t = np.arange(0.0, 3.0, 0.005)
    velocity = np.where((t >= 1.0) & (t <= 1.5), 4.0, 0.0) + 0.01 * np.sin(7 * t)
    trial = Trial(t, {"angular_velocity": Channel(velocity, "rad/s")})
    baseline, search = stretch_windows(trial)
    assert baseline == (0.0, pytest.approx(1.0))
    assert search == (pytest.approx(1.0), pytest.approx(1.6))  # movement end 1.5 s + 0.1 s latency
    from_angle = Trial(t, {"angle": Channel(np.cumsum(velocity) * 0.005, "rad")})
    assert stretch_windows(from_angle)[0][1] == pytest.approx(1.0, abs=0.01)
    with pytest.raises(RecordingError, match="still"):
        stretch_windows(Trial(t, {"angular_velocity": Channel(np.zeros(t.size), "rad/s")}))
    with pytest.raises(RecordingError, match="rest before"):
        stretch_windows(Trial(t, {"angular_velocity": Channel(np.ones(t.size), "rad/s")}))
    with pytest.raises(RecordingError, match="angular_velocity"):
        stretch_windows(Trial(t, {"torque": Channel(np.zeros(t.size), "N m")}))


# ---------------------------------------------------------------------------------------------
# comparator


def test_threshold_rule_agrees_with_neurokit2():
    """Same envelope in, same onset out: NeuroKit2's ``emg_activation(method="threshold")``.

    The envelope is NeuroKit2's own (``emg_clean`` then ``emg_amplitude``); both sides use the
    threshold baseline mean + 3 SD and a 50 ms minimum duration. Our ``hodges_bui`` with no
    low-pass and no moving average applies exactly that rule, so the onsets must agree to the
    sample (1 ms). NeuroKit2 counts an onset only after 50 ms below threshold, which the rest
    window provides.
    """
    nk = pytest.importorskip("neurokit2")
    for seed in range(3):
        t, x = _burst(seed, onset_s=1.5, duration=3.0)
        amplitude = np.asarray(nk.emg_amplitude(nk.emg_clean(x, sampling_rate=1000), sampling_rate=1000))
        rest = t < 1.0
        threshold = amplitude[rest].mean() + 3.0 * amplitude[rest].std()
        _, info = nk.emg_activation(
            emg_amplitude=amplitude,
            sampling_rate=1000,
            method="threshold",
            threshold=threshold,
            duration_min=50,
        )
        theirs = np.asarray(info["EMG_Onsets"])
        theirs = theirs[t[theirs] > 1.0]
        ours = emg_onset(
            t,
            amplitude,
            method="hodges_bui",
            baseline=(0.0, 0.9995),
            k=3.0,
            min_duration_s=0.05,
            cutoff_hz=None,
            window_s=0.0,
        )
        assert ours.threshold == pytest.approx(threshold, rel=1e-12)
        assert ours.time == pytest.approx(t[theirs[0]], abs=1.0 / RATE), seed
