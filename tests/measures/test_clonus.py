"""The clonus measure on synthetic recordings with known answers: a damped sinusoid with a known
frequency, decay and number of beats above 1 deg; a sustained beat on a drifting, noisy angle; a
foot that rings with a silent muscle; and every bad input."""

import json

import numpy as np
import pytest

from myoreflex.errors import ParameterError, QualityGateError, RecordingError
from myoreflex.measures import clonus
from myoreflex.measures.gates import gate_names
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG


def damped(*, frequency=5.5, ratio=0.7, second_beat_deg=7.0, onset=0.5, duration=4.0, rate=1000.0):
    """A foot at a 5 deg hold beating from ``onset``: ``A exp(-lambda s) sin(2 pi f s)``, each cycle
    ``ratio`` times the one before, scaled so that the second beat's excursion (peak to the following
    trough) is ``second_beat_deg``."""
    t = np.arange(0.0, duration, 1.0 / rate)
    s = np.clip(t - onset, 0.0, None)
    decay = -np.log(ratio) * frequency  # lambda: exp(-lambda / f) = ratio
    # The k-th peak (k >= 1) sits about (k + 1/4) periods in, the trough after it half a period later,
    # so beat k's excursion is A ratio^(k + 1/4) (1 + sqrt(ratio)).
    amplitude = second_beat_deg / (ratio ** 1.25 * (1 + np.sqrt(ratio))) * DEG
    angle = 5 * DEG + amplitude * np.exp(-decay * s) * np.sin(2 * np.pi * frequency * s)
    return Trial(t, {"angle": Channel(angle, "rad")}, {"source": "damped.csv"})


def test_a_damped_sinusoid_gives_its_frequency_decay_and_the_beats_above_one_degree():
    # Beats: the first peak rises 5.4 deg above the hold (A ratio^(1/4)); beats k >= 1 have excursions
    # 7 x 0.7^(k-1) deg = 7, 4.9, 3.43, 2.40, 1.68, 1.18, then 0.82 < 1 deg: 1 + 6 = 7 beats. The
    # nearest excursions to the 1 deg threshold (1.18, 0.82) are 18 % away from it, far more than the
    # quarter-period approximation of the peak times moves them.
    out = clonus.measure(damped())
    assert out.n_beats == 7 and out.clonus and not out.sustained and not out.still_beating_at_end
    assert out.frequency_hz == pytest.approx(5.5, rel=0.005)
    assert out.period_s == pytest.approx(1 / 5.5, rel=0.005)
    assert out.decay_ratio == pytest.approx(0.7, rel=0.02)
    assert out.last_beat_deg == pytest.approx(7.0 * 0.7**5, rel=0.03)
    assert out.first_beat_deg == pytest.approx(7.0 / 0.7 / (1 + np.sqrt(0.7)), rel=0.03)
    # The first peak of exp(-l s) sin(w s) is at atan(w / l) / w after the onset.
    omega, decay = 2 * np.pi * 5.5, -np.log(0.7) * 5.5
    assert out.onset_s == pytest.approx(0.5 + np.arctan(omega / decay) / omega, abs=2e-3)
    assert out.duration_s == pytest.approx(7 / 5.5, rel=0.01)  # seven beats of one period each
    assert out.scats_clonus == 1 and not out.scats_censored  # under 3 s (Benz et al. 2005)
    assert len(out.beat_times_s) == 7
    # A threshold of 2 deg leaves the first beat and the beats of 7, 4.9, 3.43, 2.40 deg.
    assert clonus.measure(damped(), min_amplitude=2 * DEG).n_beats == 5


def test_both_frequency_methods_agree_on_a_sustained_noisy_clonus():
    rng = np.random.default_rng(3)
    t = np.arange(0.0, 12.0, 0.01)  # a 100 Hz goniometer
    drift = 8 * DEG * (1 - np.exp(-t / 2.0))  # the foot creeping into dorsiflexion under the push
    angle = drift + 2.5 * DEG * np.sin(2 * np.pi * 6.2 * t) + rng.normal(0, 0.1 * DEG, t.size)
    trial = Trial(t, {"angle": Channel(angle, "rad")}, {"source": "sustained.csv"})
    peaks = clonus.measure(trial)
    spectrum = clonus.measure(trial, method="spectrum")
    assert peaks.sustained and peaks.still_beating_at_end and peaks.scats_clonus == 3
    assert abs(peaks.n_beats - 6.2 * 12) <= 1
    assert peaks.frequency_hz == pytest.approx(6.2, rel=0.005)
    assert spectrum.frequency_hz == pytest.approx(6.2, rel=0.005)
    assert peaks.decay_ratio == pytest.approx(1.0, abs=0.05)
    assert spectrum.method.startswith("spectrum") and peaks.method.startswith("peaks")
    # A clonus cut off by the end of a 5 s recording: still going, so SCATS 2 is a lower bound.
    short = clonus.measure(trial.window(0.0, 5.0))
    assert short.scats_clonus == 2 and short.scats_censored and short.sustained


def test_small_slow_or_fast_oscillations_are_not_clonus():
    t = np.arange(0.0, 6.0, 0.005)
    for angle, why in ((0.4 * DEG * np.sin(2 * np.pi * 6 * t), "below 1 deg"),
                       (10 * DEG * np.sin(2 * np.pi * 1.0 * t), "a 1 Hz swing, below the 3-12 Hz band"),
                       (3 * DEG * np.sin(2 * np.pi * 20.0 * t), "20 Hz, above the band"),
                       (np.full(t.size, 0.1), "a still foot")):
        out = clonus.measure(Trial(t, {"angle": Channel(angle, "rad")}))
        assert not out.clonus and out.n_beats <= 1 and out.scats_clonus == 0, why
        assert out.frequency_hz is None and out.decay_ratio is None, why


def test_a_beat_counts_only_with_a_burst_of_the_muscle_when_its_emg_is_given():
    trial = damped()
    t = trial.time
    silent = np.full(t.size, 0.005)  # resting tone only: a foot that rings mechanically
    beats = clonus.measure(trial)
    bursts = np.full(t.size, 0.005)
    for time in beats.beat_times_s:  # a reflex burst of 0.05 ahead of every dorsiflexion peak
        bursts += 0.05 * np.exp(-0.5 * ((t - time + 0.03) / 0.01) ** 2)
    rings = trial.with_channels(emg_triceps_surae=Channel(silent, "1"))
    beating = trial.with_channels(emg_triceps_surae=Channel(bursts, "1"))
    assert clonus.measure(rings, bursts="emg_triceps_surae").n_beats == 0
    confirmed = clonus.measure(beating, bursts="emg_triceps_surae")
    assert confirmed.n_beats == 7 and confirmed.bursts_channel == "emg_triceps_surae"
    # A burst below 0.01 of maximal excitation (emg.BARE_THRESHOLD) is not a contraction.
    weak = trial.with_channels(emg_triceps_surae=Channel(0.005 + 0.1 * (bursts - 0.005), "1"))
    assert clonus.measure(weak, bursts="emg_triceps_surae").n_beats == 0
    # The EMG itself can be the beat signal: seven bursts at 5.5 Hz; no angle amplitudes then.
    on_emg = clonus.measure(beating, channel="emg_triceps_surae")
    assert on_emg.n_beats == 7 and on_emg.frequency_hz == pytest.approx(5.5, rel=0.01)
    assert on_emg.first_beat_deg is None


def test_a_raw_emg_in_volts_is_enveloped_before_its_bursts_are_counted():
    rng = np.random.default_rng(0)
    rate = 2000.0
    t = np.arange(0.0, 3.0, 1 / rate)
    on = (np.sin(2 * np.pi * 6.0 * t) > 0.7) & (t > 0.5) & (t < 2.5)  # 60 ms bursts at 6 Hz
    raw = rng.normal(0, 5e-6, t.size) + on * rng.normal(0, 2e-4, t.size)
    angle = 3 * DEG * np.sin(2 * np.pi * 6.0 * t) * ((t > 0.5) & (t < 2.6))
    trial = Trial(t, {"angle": Channel(angle, "rad"), "emg_soleus": Channel(raw, "V")})
    out = clonus.measure(trial, channel="emg_soleus")
    assert out.clonus and out.frequency_hz == pytest.approx(6.0, rel=0.02) and abs(out.n_beats - 12) <= 1
    assert clonus.measure(trial, bursts="emg_soleus").clonus


def test_the_parabolic_vertex_dates_a_peak_within_the_gates_precision():
    # The samples_per_period gate's justification: at 8 samples per period the vertex of the parabola
    # through the three samples around a sine's peak is within 0.13 % of a period of the true peak.
    worst = 0.0
    for phase in np.linspace(0.0, 1.0, 41):
        t = (np.arange(16) + phase) / 8.0  # 8 samples per 1 s period
        x = np.sin(2 * np.pi * t)
        i = int(np.argmax(x[1:9])) + 1
        worst = max(worst, abs(clonus._vertex_time(t, x, i) - 0.25))
    assert worst <= 0.0013


def test_too_coarse_a_recording_fails_its_gate_or_is_measured_with_a_warning():
    t = np.arange(0.0, 4.0, 1 / 40.0)  # 40 Hz: 6.7 samples per 6 Hz period
    trial = Trial(t, {"angle": Channel(4 * DEG * np.sin(2 * np.pi * 6.0 * t), "rad")}, {"source": "coarse.csv"})
    with pytest.raises(QualityGateError, match="samples_per_period"):
        clonus.measure(trial)
    out = clonus.measure(trial, lenient=True)
    assert gate_names(out.warnings) == ["samples_per_period"] and out.clonus


def test_every_bad_input_gets_a_clear_error():
    t = np.arange(0.0, 1.0, 0.01)
    good = Trial(t, {"angle": Channel(np.zeros(t.size), "rad")}, {"source": "foot.csv"})
    with pytest.raises(RecordingError, match=r"`foot.csv`, channel `ankle_angle`.*no such channel"):
        clonus.measure(good, channel="ankle_angle")
    nan = np.zeros(t.size)
    nan[5] = np.nan
    with pytest.raises(RecordingError, match="finite values"):
        clonus.measure(Trial(t, {"angle": Channel(nan, "rad")}))
    with pytest.raises(RecordingError, match="an angle in rad"):
        clonus.measure(Trial(t, {"angle": Channel(np.zeros(t.size), "deg")}))
    with pytest.raises(RecordingError, match="at least 4 samples"):
        clonus.measure(good, start_s=0.98)
    with pytest.raises(ParameterError, match="clonus frequency: expected one of peaks, spectrum; got 'fft'"):
        clonus.measure(good, method="fft")
    with pytest.raises(ParameterError, match="min_amplitude"):
        clonus.measure(good, min_amplitude=-1.0)
    uneven = Trial(np.sort(np.random.default_rng(1).uniform(0, 3, 600)),
                   {"angle": Channel(np.zeros(600), "rad")})
    beating = uneven.with_channels(angle=Channel(4 * DEG * np.sin(2 * np.pi * 6 * uneven.time), "rad"))
    with pytest.raises(RecordingError, match="uniform sampling"):
        clonus.measure(beating, method="spectrum", lenient=True)


def test_the_record_is_plain_json_with_its_contract():
    out = clonus.measure(damped())
    values = out.as_dict()
    assert json.loads(json.dumps(values, allow_nan=False)) == values
    contract = out.contract()
    assert list(contract["metrics"]) == list(clonus.CONTRACT_KEYS) and contract["warnings"] == []
    assert contract["metrics"]["n_beats"] == 7
    none = clonus.measure(Trial(np.arange(0.0, 1.0, 0.01), {"angle": Channel(np.zeros(100), "rad")}))
    assert none.as_dict()["frequency_hz"] is None and none.beat_times_s == ()
