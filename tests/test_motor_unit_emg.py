"""Motor-unit pool and surface EMG added to a simulated Trial (myoreflex.motor_unit_emg, issue 16).

Evidence: the loop's samples survive the resampling bit for bit; the EMG is deterministic per seed;
a relaxed healthy muscle gives the amplifier's noise only; a stroke stretch gives an EMG whose
amplitude is in the published range and whose RMS envelope rises with the reflex; the project's
default onset method finds the reflex on the EMG where the excitation rises; the pool's force
follows the lumped activation (with its twitch delay) and its steady value; discharges, CSV and
Parquet round-trip; bad input gets a clear error.
"""

import numpy as np
import pytest

import myoreflex
from myoreflex import DEG
from myoreflex.errors import ParameterError, RecordingError
from myoreflex.measures import motor_units as mu_measures
from myoreflex.measures.emg import emg_clean, emg_envelope, emg_onsets, measure, stretch_windows
from myoreflex.motor_unit_emg import (
    discharge_times,
    force_agreement,
    simulate_motor_units,
    steady_pool_force,
    with_motor_units,
    write_motor_unit_emg,
)
from myoreflex.physiology.motor_units import MotorUnitPoolParams, max_excitation, recruitment_thresholds
from myoreflex.physiology.surface_emg import SurfaceEmgParams
from myoreflex.trial import Channel, Trial

FLEXORS = "elbow_flexors"
RECORD = ("angle", "angular_velocity", "torque", "emg", "force", "activation")
SEEDS = range(6)


def _stroke():
    return myoreflex.apply_condition(myoreflex.default_params("elbow"), "stroke", 0.7)


@pytest.fixture(scope="module")
def stroke_stretch():
    """The stroke preset (severity 0.7), elbow, motorized stretch at 200 deg/s (a fast clinical speed)."""
    return myoreflex.simulate(_stroke(), myoreflex.MotorizedStretch(velocity=200 * DEG), record=RECORD)


@pytest.fixture(scope="module")
def quiet_stretch():
    """The same stretch with the healthy resting tone (0.005): no unit fires before the reflex."""
    params = myoreflex.with_overrides(_stroke(), {"motoneuron.tone": 0.005})
    return myoreflex.simulate(params, myoreflex.MotorizedStretch(velocity=200 * DEG), record=RECORD)


@pytest.fixture(scope="module")
def healthy_pendulum():
    return myoreflex.simulate(myoreflex.default_params("knee"), myoreflex.PendulumTest())


@pytest.fixture(scope="module")
def stroke_emg(stroke_stretch):
    return with_motor_units(stroke_stretch, seed=0)


def _crossing(trial: Trial, rise: float) -> float:
    """First time the flexors' excitation is ``rise`` above its first (resting) value (s)."""
    excitation = trial[f"emg_{FLEXORS}"]
    return float(trial.time[np.argmax(excitation > excitation[0] + rise)])


# --- the Trial around the EMG ------------------------------------------------------------------------


def test_loop_samples_survive_the_resampling_bit_for_bit(stroke_stretch, stroke_emg):
    k = stroke_emg.metadata["motor_unit_emg"]["upsampling"]
    assert k == 2 and stroke_emg.rate_hz == 2000.0 and stroke_emg.metadata["loop_rate_hz"] == 1000.0
    assert np.array_equal(stroke_emg.time[::k], stroke_stretch.time)
    for name, channel in stroke_stretch.channels.items():
        assert np.array_equal(stroke_emg[name][::k], channel.values), name
        assert stroke_emg.unit(name) == channel.unit
    assert stroke_emg.unit(f"emg_surface_{FLEXORS}") == "V" and stroke_emg.unit(f"pool_force_{FLEXORS}") == "1"
    assert stroke_emg.status is stroke_stretch.status
    assert stroke_emg.stretch_onset_s == stroke_stretch.stretch_onset_s


def test_a_pendulum_at_125_hz_is_resampled_to_2_khz_and_measures_the_same(healthy_pendulum):
    out = with_motor_units(healthy_pendulum)
    assert healthy_pendulum.rate_hz == 125.0 and out.metadata["motor_unit_emg"]["upsampling"] == 16
    assert out.rate_hz == 2000.0
    # Linear interpolation between the loop's samples leaves the pendulum's first swing (R1) as it was
    # to 0.1 % (the peaks fall between 8 ms samples either way).
    before = myoreflex.PendulumTest.measure(healthy_pendulum).r1
    after = myoreflex.PendulumTest.measure(out).r1
    assert after == pytest.approx(before, rel=1e-3)


def test_same_seed_same_emg_other_seed_other_emg_and_muscles_independent(stroke_stretch, stroke_emg):
    again = with_motor_units(stroke_stretch, seed=0)
    other = with_motor_units(stroke_stretch, seed=1)
    alone = with_motor_units(stroke_stretch, seed=0, muscles=[FLEXORS])
    name = f"emg_surface_{FLEXORS}"
    assert np.array_equal(again[name], stroke_emg[name])
    assert np.array_equal(alone[name], stroke_emg[name])  # a muscle's EMG ignores which others are chosen
    assert not np.allclose(other[name], stroke_emg[name])
    first = stroke_emg.metadata["discharge_times_s"][FLEXORS]
    assert first.keys() == again.metadata["discharge_times_s"][FLEXORS].keys()
    assert all(np.array_equal(first[u], again.metadata["discharge_times_s"][FLEXORS][u]) for u in first)


# --- amplitude ---------------------------------------------------------------------------------------


def test_healthy_pendulum_at_rest_gives_noise_only(healthy_pendulum):
    """Resting tone 0.005 is E = 0.24 in Fuglevand's units, below the first threshold (1.03): no unit
    fires, the EMG is the white noise of SurfaceEmgParams (3 uV RMS) and the pool exerts no force."""
    out = with_motor_units(healthy_pendulum, seed=3)
    noise = SurfaceEmgParams().noise_rms
    for muscle in ("quadriceps", "hamstrings"):
        assert out.metadata["motor_unit_emg"]["muscles"][muscle]["n_recruited"] == 0
        assert out.metadata["discharge_times_s"][muscle] == {}
        emg = out[f"emg_surface_{muscle}"]
        # 40,000 samples: the RMS of white noise is within 1 % of its SD (SE 0.35 %); 5 % rules out
        # any MUAP (the smallest, deepest one peaks at 8 uV).
        assert np.sqrt(np.mean(emg**2)) == pytest.approx(noise, rel=0.05)
        assert np.all(out[f"pool_force_{muscle}"] == 0.0)


def test_stroke_stretch_emg_amplitude_is_realistic_and_rises_with_the_reflex(stroke_emg):
    """Rest: the preset's tone (0.034) keeps ~16 small units firing (spontaneous discharges at rest,
    Chang et al. 2013): tens of uV to ~0.2 mV RMS, above the 3 uV noise. Reflex: a few hundred uV
    RMS, within the 0-1.5 mV RMS of surface EMG (De Luca 2002) and at least 3 times the rest."""
    rate, time = stroke_emg.rate_hz, stroke_emg.time
    envelope = emg_envelope(emg_clean(stroke_emg[f"emg_surface_{FLEXORS}"], rate), rate, method="rms", window_s=0.05)
    rest = float(np.median(envelope[(time > 0.1) & (time < 0.45)]))
    peak = float(envelope.max())
    assert 20e-6 < rest < 200e-6
    assert 200e-6 < peak < 1.5e-3
    assert peak > 3 * rest
    excitation = stroke_emg[f"emg_{FLEXORS}"]
    assert np.corrcoef(envelope, excitation)[0, 1] > 0.8
    # The envelope peaks with the excitation: within its 50 ms window plus the 50 ms the pool takes
    # to recruit its larger units on the way up.
    assert abs(time[envelope.argmax()] - time[excitation.argmax()]) < 0.1


def test_recording_starts_without_a_synchronous_volley(stroke_emg):
    """Units firing at rest start at random phases: in the first 5 ms, about 16 units x 8 pps x 5 ms
    = 0.6 discharges are expected, not the 16 of a volley at the first sample."""
    trains = stroke_emg.metadata["discharge_times_s"][FLEXORS].values()
    first = sum(int(np.sum(np.asarray(t) < stroke_emg.time[0] + 0.005)) for t in trains)
    assert first <= 4


# --- onset ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["stroke_stretch", "quiet_stretch"])
def test_default_onset_method_finds_the_reflex_where_the_excitation_rises(case, request):
    """Tolerance: the excitation rises smoothly (softplus threshold), so its own onset is a span, not a
    sample: at 200 deg/s it takes ~40 ms from 0.001 to 0.01 above rest (the bare Hodges & Bui onset
    of a simulated excitation) and ~50 ms more to 0.03 above rest. The EMG onset by the default
    pipeline (band-pass, then `hysteresis`) must fall in that span, widened early by the 25 ms that
    the method's zero-phase envelope dates a burst early (measures/emg.py). Six seeds, each must pass."""
    loop = request.getfixturevalue(case)
    early, late = _crossing(loop, 0.001) - 0.025, _crossing(loop, 0.03)
    for seed in SEEDS:
        out = with_motor_units(loop, seed=seed, muscles=[FLEXORS])
        onsets = measure(out).onset_s
        reference = measure(out, method="hodges_bui").onset_s[FLEXORS]  # the excitation's own onset
        assert early < reference < late
        assert onsets[f"surface_{FLEXORS}"] is not None, seed
        assert early <= onsets[f"surface_{FLEXORS}"] <= late, (seed, onsets, early, late)


def test_onset_is_at_the_first_reflex_discharge_when_the_muscle_is_quiet(quiet_stretch):
    """With no unit firing at rest, the first discharge is the true electrical onset; it comes when the
    excitation reaches the first unit's threshold (0.022), and Hodges & Bui on the unfiltered EMG
    (no zero-phase spreading) dates it within 10 ms after it (a 20 ms trailing mean of sparse MUAPs)."""
    out = with_motor_units(quiet_stretch, seed=0, muscles=[FLEXORS])
    trains = out.metadata["discharge_times_s"][FLEXORS]
    first = min(float(t[0]) for t in trains.values())
    threshold = recruitment_thresholds(MotorUnitPoolParams())[0] / max_excitation(MotorUnitPoolParams())
    excitation = out[f"emg_{FLEXORS}"]
    assert excitation[np.searchsorted(out.time, first)] >= threshold
    base, search = stretch_windows(out)
    onset = emg_onsets(out, muscles=[f"surface_{FLEXORS}"], method="hodges_bui", clean=False, baseline=base,
                       search=search)[f"surface_{FLEXORS}"].time
    assert 0.0 <= onset - first <= 0.010


# --- force -------------------------------------------------------------------------------------------


def test_pool_force_follows_the_lumped_activation_with_the_twitch_delay(stroke_emg):
    summary = stroke_emg.metadata["motor_unit_emg"]["muscles"][FLEXORS]
    assert summary["lumped_channel"] == f"activation_{FLEXORS}"
    # Twitches peak 30-90 ms after their discharge: the pool's force lags by that much and, shifted,
    # follows the lumped activation closely.
    assert 0.05 <= summary["force_lag_s"] <= 0.15
    assert summary["force_correlation"] > 0.95
    # Convex recruitment: far below the lumped activation at the reflex's peak, and at most the steady
    # pool force of that activation (a brief peak is smoothed by the twitches).
    activation = stroke_emg[f"activation_{FLEXORS}"]
    assert summary["pool_force_peak"] < 0.5 * summary["lumped_peak"]
    assert 0.5 < summary["pool_force_peak"] / float(steady_pool_force(activation.max())) < 1.0
    # At rest the pool holds its steady force from the first sample on (the warm-up).
    rest = stroke_emg[f"pool_force_{FLEXORS}"][stroke_emg.time < 0.45]
    assert rest.mean() == pytest.approx(float(steady_pool_force(stroke_emg[f"emg_{FLEXORS}"][0])), rel=0.15)
    # The unstretched extensors keep their resting drive: nothing to follow.
    assert stroke_emg.metadata["motor_unit_emg"]["muscles"]["elbow_extensors"]["force_correlation"] is None


@pytest.mark.parametrize("level", [0.05, 0.3, 0.7])
def test_mean_force_at_constant_drive_is_the_steady_pool_force(level):
    """Law: discharges at a constant drive exert, on average, the force of regular discharges at
    Fuglevand's rates (the normalisation); interval variability (cv 0.2) costs at most a few %."""
    t = np.arange(0.0, 4.0, 1 / 2000)
    activity = simulate_motor_units(t, np.full(t.size, level), seed=0)
    assert activity.force[t > 1.0].mean() == pytest.approx(float(steady_pool_force(level)), rel=0.05)


def test_steady_pool_force_runs_from_0_to_1_below_the_identity():
    e = np.linspace(0.0, 1.0, 201)
    force = steady_pool_force(e)
    assert force[0] == 0.0 and force[-1] == pytest.approx(1.0)
    assert np.all(np.diff(force) >= 0)
    assert np.all(force[1:128] < e[1:128])  # up to e = 0.64, where the last unit is recruited


def test_force_agreement_finds_a_known_delay():
    t = np.arange(0.0, 2.0, 1e-3)
    bump = np.exp(-(((t - 1.0) / 0.1) ** 2))
    lag, r = force_agreement(0.2 * np.roll(bump, 40), bump, 1000.0)
    assert lag == pytest.approx(0.040) and r == pytest.approx(1.0)


# --- discharges and files ---------------------------------------------------------------------------


def test_discharges_are_measurable_and_each_unit_fires_above_its_threshold(stroke_emg):
    units = discharge_times(stroke_emg, FLEXORS)
    summary = stroke_emg.metadata["motor_unit_emg"]["muscles"][FLEXORS]
    assert len(units.units) == summary["n_recruited"]
    assert sum(len(t) for t in units.times) == summary["n_discharges"]
    result = mu_measures.measure(units)
    assert result.n_units == summary["n_recruited"]
    pool = MotorUnitPoolParams()
    thresholds = recruitment_thresholds(pool) / max_excitation(pool)
    for unit in result.units:
        if unit.recruitment_s > 0.2:  # recruited by the reflex, not firing since before the recording
            assert unit.recruitment_threshold >= thresholds[int(unit.unit) - 1] - 1e-12, unit.unit


def test_csv_and_parquet_round_trip(stroke_emg, tmp_path):
    from myoreflex.io import read_trial
    from myoreflex.io.motor_units import read_discharge_times
    from myoreflex.io.writers import read_parquet

    paths = write_motor_unit_emg(stroke_emg, tmp_path / "stroke.csv")
    assert [p.name for p in paths] == ["stroke.csv", f"stroke_{FLEXORS}_discharges.csv",
                                       "stroke_elbow_extensors_discharges.csv"]
    back = read_trial(paths[0])
    assert back.rate_hz == 2000.0
    for name in stroke_emg.channels:
        assert np.array_equal(back[name], stroke_emg[name]), name
    units = read_discharge_times(paths[1])
    stored = stroke_emg.metadata["discharge_times_s"][FLEXORS]
    assert set(units.units) == set(stored)
    assert all(np.array_equal(times, stored[u]) for u, times in zip(units.units, units.times))

    parquet = write_motor_unit_emg(stroke_emg, tmp_path / "stroke.parquet")[0]
    again = read_parquet(parquet)
    assert np.array_equal(again[f"emg_surface_{FLEXORS}"], stroke_emg[f"emg_surface_{FLEXORS}"])
    assert again.metadata["motor_unit_emg"]["muscles"][FLEXORS]["n_recruited"] > 0
    restored = discharge_times(again, FLEXORS)
    assert all(np.array_equal(times, stored[u]) for u, times in zip(restored.units, restored.times))


# --- bad input --------------------------------------------------------------------------------------


def _loop(**channels):
    t = np.arange(1, 501) * 1e-3
    return Trial(t, {name: Channel(values(t) if callable(values) else values, unit)
                     for name, (values, unit) in channels.items()}, {"source": "loop.csv"})


@pytest.mark.parametrize("trial, options, match", [
    (_loop(angle=(np.zeros(500), "rad")), {}, "emg_<muscle> channel of normalised excitation"),
    (_loop(emg_biceps=(np.zeros(500), "V")), {"muscles": ["biceps"]}, "unit 1"),
    (_loop(emg_biceps=(np.full(500, 0.1), "1")), {"muscles": ["triceps"]}, "emg_triceps"),
    (_loop(emg_biceps=(np.where(np.arange(500) == 9, np.nan, 0.1), "1")), {}, "finite"),
])
def test_bad_trials_are_refused_by_name(trial, options, match):
    with pytest.raises(RecordingError, match=match):
        with_motor_units(trial, **options)


@pytest.mark.parametrize("options, match", [
    ({"seed": -1}, "seed"),
    ({"seed": 1.5}, "seed"),
    ({"seed": True}, "seed"),
    ({"rate_hz": 1000.0}, "rate_hz"),
    ({"pool": MotorUnitPoolParams(recruitment_range=1.0)}, "recruitment_range"),
    ({"surface": SurfaceEmgParams(noise_rms=-1e-6)}, "noise_rms"),
])
def test_bad_options_are_refused_by_name(options, match):
    trial = _loop(emg_biceps=(np.full(500, 0.1), "1"))
    with pytest.raises(ParameterError, match=match):
        with_motor_units(trial, **options)


def test_a_trial_gets_motor_unit_emg_once():
    out = with_motor_units(_loop(emg_biceps=(np.full(500, 0.1), "1")))
    with pytest.raises(ParameterError, match="already"):
        with_motor_units(out)
    with pytest.raises(RecordingError, match="discharge_times_s"):
        discharge_times(_loop(emg_biceps=(np.full(500, 0.1), "1")), "biceps")
