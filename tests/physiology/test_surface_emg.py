"""Surface EMG synthesised from motor-unit action potential trains: volts, noise, amplitude with force,
median frequency in the published range, and the EMG onset methods re-checked against the known
onset (docs/emg_onsets.py)."""

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import welch

from myoreflex.physiology.motor_units import MotorUnitPoolParams, firing_rates, max_excitation, spike_trains
from myoreflex.physiology.surface_emg import SurfaceEmgParams, muap_parameters, surface_emg, unit_depths

ROOT = Path(__file__).resolve().parents[2]
POOL, EMG = MotorUnitPoolParams(), SurfaceEmgParams()
RATE = 4096.0


def _emg(fraction, seed=1, duration=3.0, params=EMG):
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, duration, 1 / RATE)
    level = np.full(t.size, fraction * max_excitation(POOL))
    trains = spike_trains(firing_rates(level, POOL), 1 / RATE, rng, POOL)
    return t, surface_emg(trains, t, unit_depths(POOL, params, np.random.default_rng(5)), POOL, params, rng)


def _median_frequency(signal):
    f, power = welch(signal, RATE, nperseg=1024)
    cumulative = np.cumsum(power)
    return f[np.searchsorted(cumulative, cumulative[-1] / 2)]


def test_rest_is_the_declared_noise_in_volts():
    t = np.arange(0.0, 2.0, 1 / RATE)
    quiet = surface_emg([np.array([])] * POOL.n_units, t, np.full(POOL.n_units, 0.01), POOL, EMG,
                        np.random.default_rng(0))
    assert np.sqrt(np.mean(quiet**2)) == pytest.approx(EMG.noise_rms, rel=0.05)  # 8192 samples: SE ~1 %


def test_a_deeper_unit_has_a_smaller_wider_muap():
    amplitude, _ = muap_parameters(np.array([3e-3, 15e-3]), MotorUnitPoolParams(n_units=2), EMG)
    assert amplitude[1] < amplitude[0] * np.exp(-12e-3 / EMG.attenuation_length) * 11.5
    _, near = muap_parameters(np.full(2, 3e-3), MotorUnitPoolParams(n_units=2), EMG)
    _, deep = muap_parameters(np.full(2, 15e-3), MotorUnitPoolParams(n_units=2), EMG)
    assert np.all(deep > near)


def test_emg_amplitude_rises_with_force():
    rms = [np.sqrt(np.mean(_emg(fraction)[1][4096:] ** 2)) for fraction in (0.1, 0.3, 0.5, 0.75)]
    assert np.all(np.diff(rms) > 0)
    # hundreds of uV to a few mV at the skin (a few uV to 2-3 mV: Konrad 2005, The ABC of EMG)
    assert 5e-5 < rms[0] and rms[-1] < 3e-3


@pytest.mark.reference
def test_median_frequency_at_moderate_force_is_in_the_published_range():
    # Krivickas et al. 1998 (J Clin Neurophysiol 15:138), initial median frequency at 50 % MVC:
    # biceps 90 +- 18 Hz, triceps 85 +- 18, deltoid 87 +- 15, tibialis anterior 116 +- 20 Hz.
    # Accepted: within 2 SD of the biceps mean, 54-126 Hz.
    for seed in (1, 2):
        frequency = _median_frequency(_emg(0.5, seed=seed)[1][4096:])
        assert 54.0 <= frequency <= 126.0, frequency


def test_same_seed_same_emg():
    assert np.array_equal(_emg(0.2, seed=3, duration=0.5)[1], _emg(0.2, seed=3, duration=0.5)[1])


@pytest.fixture(scope="module")
def onsets():
    sys.path.insert(0, str(ROOT))
    try:
        from docs import emg_onsets
    finally:
        sys.path.remove(str(ROOT))
    return emg_onsets


def test_onset_methods_on_synthesised_bursts_have_finite_bounded_errors(onsets):
    from myoreflex.measures.emg import DEFAULT_ONSET_METHOD

    cases = [onsets.CASES[0], onsets.CASES[2]]  # bursts to 20 % (3 uV noise) and 10 % (10 uV)
    rows = onsets.onset_errors(cases, seeds=[0, 1])
    assert rows and all(row["error_ms"] is not None and np.isfinite(row["error_ms"]) for row in rows)
    default = [abs(row["error_ms"]) for row in rows if row["method"] == DEFAULT_ONSET_METHOD]
    # Bound 75 ms: the default dates an onset back along a zero-phase 10 Hz envelope, whose smoothing
    # spreads a burst backward by about half its corner period (50 ms); 25 ms more is the early dating
    # measures/emg.py documents for its band-pass. (A 50 % burst exceeds it: docs/emg_onsets.md.)
    assert np.median(default) < 75.0
    # Without the band-pass the threshold rules date the first discharge within 10 ms:
    raw = onsets.onset_errors(cases[:1], seeds=[0], methods=["hodges_bui", "aglr"], band_pass=False)
    assert all(abs(row["error_ms"]) < 10.0 for row in raw)
