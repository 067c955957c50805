"""Parameter recovery from synthetic pendulum tests (issue 5, acceptance item 1, a few cases; the
50-case studies, well specified and misspecified, are ``benchmarks/fit_recovery.py``), release
alignment, and bad input.

The fit frees what ``myoreflex fit pendulum`` frees (:data:`myoreflex.fit.pendulum.DEFAULT_FREE`:
reflex gain, damping, stiffness, baseline torque) with the motor-neuron threshold fixed at its
:data:`~myoreflex.fit.pendulum.DEFAULT_START` (0 pps). Freeing gain and threshold together is nearly
degenerate on a swing (posterior correlation 0.999: a higher threshold with a higher gain brakes the
swing about as much), which is why the threshold is fixed.

Truth: the knee preset under a condition at a given severity with the threshold at 0 pps; data: its
pendulum test sampled at 100 Hz with 1 deg white noise (an electrogoniometer's error). The fit starts
from the healthy gain and damping (0.004 1/pps, 0.2 N m s/rad) with everything else at the truth.
Truth and fit use the same 2 ms step, so the test measures the estimator, not the discretisation.
"""

import numpy as np
import pytest

from myoreflex.conditions import apply_condition
from myoreflex.errors import ParameterError, ProtocolError, RecordingError
from myoreflex.fit import FitSettings, align_pendulum, fit_pendulum, synthetic_pendulum
from myoreflex.fit.pendulum import DEFAULT_FREE, DEFAULT_START
from myoreflex.model import default_params
from myoreflex.params import get_param, with_overrides
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG

DT = 2e-3
GAIN = "motoneuron.gain"
CASES = [("stroke", 0.7, 11), ("cerebral_palsy", 0.5, 12), ("multiple_sclerosis", 0.9, 13)]


def _case(condition, severity, seed):
    # Without the bistable PIC of the MS preset (issue 16): the pendulum fit has no PIC parameter, and with
    # the threshold pinned at DEFAULT_START's 0 pps the PIC (whose onset moves with the threshold) is on at
    # rest in both pools and the leg never settles. Recovery with a PIC is for the fit's next version.
    truth = with_overrides(apply_condition(default_params("knee"), condition, severity),
                           {**DEFAULT_START, "motoneuron.pic_amplitude": 0.0})
    trial = synthetic_pendulum(truth, noise_sd_deg=1.0, seed=seed, dt=DT)
    healthy = default_params("knee")
    start = with_overrides(truth, {path: float(get_param(healthy, path)) for path in (GAIN, "limb.damping")})
    return truth, fit_pendulum(trial, start, dt=DT, settings=FitSettings(seed=seed))


@pytest.fixture(scope="module")
def recoveries():
    return [_case(*case) for case in CASES]


def test_the_fit_frees_the_pendulum_default_set_with_the_threshold_fixed(recoveries):
    for truth, result in recoveries:
        assert set(DEFAULT_FREE) <= set(result.names)
        assert "motoneuron.threshold" not in result.names
        assert float(get_param(truth, "motoneuron.threshold")) == DEFAULT_START["motoneuron.threshold"]


def test_gain_and_damping_are_recovered_within_10_percent_with_covering_intervals(recoveries):
    # Acceptance item 1 (per case here; >= 90 % within 10 % and 85-100 % coverage over 50 cases in
    # the benchmark). The Laplace sd of the gain is about 2 % and of the damping about 3 % at 1 deg
    # noise, so 10 % is 3-5 sd. Stiffness and baseline torque are only determined together (their
    # correlation is 0.96-0.98 here, next test) and the baseline torque's truth is 0, so for them the
    # test asks only that the 95 % interval covers the truth.
    for truth, result in recoveries:
        assert result.converged
        for path in DEFAULT_FREE:
            true = float(get_param(truth, path))
            if path in (GAIN, "limb.damping"):
                assert result.params[path] == pytest.approx(true, rel=0.10), path
            low, high = result.ci95[path]
            assert low <= true <= high, path
        # The noise is estimated from the residuals: 1 deg went in.
        assert result.diagnostics["white_noise_sd_deg"] == pytest.approx(1.0, abs=0.1)
        assert result.rmse_deg == pytest.approx(1.0, abs=0.1)


def test_release_time_and_angle_are_estimated(recoveries):
    for _, result in recoveries:
        # synthetic_pendulum holds the leg at 0 rad and lets go at 0.3 s.
        assert result.params["release_time"] == pytest.approx(0.3, abs=0.01)
        assert result.params["initial_angle"] == pytest.approx(0.0, abs=0.5 * DEG)


def test_the_gain_is_identified_and_only_stiffness_and_baseline_torque_trade_off(recoveries):
    # With the threshold free the gain's posterior correlation with it was 0.999 (not identified).
    # With it fixed the gain's largest correlation is with stiffness and baseline torque (|r| about
    # 0.8 on these cases; with damping 0.1-0.2), below the non-identification limit (0.95) with a
    # margin; the one pair the data cannot separate is stiffness and baseline torque.
    for _, result in recoveries:
        assert result.identified[GAIN] and result.identified["limb.damping"]
        for other in DEFAULT_FREE[1:]:
            assert abs(result.correlation(GAIN, other)) < 0.9, other
        assert abs(result.correlation(GAIN, "limb.damping")) < 0.5
        assert all(GAIN not in message and "limb.damping" not in message for message in result.not_identified)


def test_the_reported_dependence_on_the_assumed_inertia_predicts_a_refit_with_another_inertia(recoveries):
    # fit.pipeline.assumed_effects: the shank's inertia is held at the body's value; the fit reports
    # d log gain / d log inertia. Refitting the first case with the assumed inertia 10 % higher moves the
    # gain by about that slope times log 1.1 (measured on the three cases, 2026-12-07: 1.43-1.50 reported,
    # 1.48-1.56 by refitting at 10 % more or less; 15 % allows the response's curvature over 10 %).
    truth, result = recoveries[0]
    assumed = result.assumptions["limb.inertia"]
    assert 1.0 < assumed["sensitivity"][GAIN] < 2.0  # a heavier shank needs a stronger reflex to brake it
    assert assumed["value"] == pytest.approx(float(get_param(truth, "limb.inertia")))
    slope = assumed["sensitivity"][GAIN]
    _, _, seed = CASES[0]
    trial = synthetic_pendulum(truth, noise_sd_deg=1.0, seed=seed, dt=DT)
    heavier = with_overrides(truth, {"limb.inertia": 1.1 * assumed["value"], GAIN: result.params[GAIN]})
    refit = fit_pendulum(trial, heavier, dt=DT, settings=FitSettings(seed=seed))
    assert np.log(refit.params[GAIN] / result.params[GAIN]) / np.log(1.1) == pytest.approx(slope, rel=0.15)
    low, high = result.ci95_with_assumptions[GAIN]
    assert low < result.ci95[GAIN][0] and result.ci95[GAIN][1] < high
    # The gain moves 1.4 x 20 % with the inertia, against a 2 % noise sd: it is named, apart from the
    # identifiability messages, and a cohort's table carries both intervals.
    from myoreflex.cohort.fitters import result_columns

    assert any(f"`{GAIN}` depends on the assumed `limb.inertia`" in m for m in result.assumption_warnings)
    assert set(result.assumption_warnings) <= set(result.warnings)
    assert not set(result.assumption_warnings) & set(result.not_identified)
    columns = result_columns(result)
    assert columns[f"{GAIN}_ci95_with_assumptions_low"] == low and GAIN in columns["assumptions"]
    assert columns["warnings"] == ""


def test_align_finds_the_release_of_a_noisy_synthetic_recording():
    trial = synthetic_pendulum(apply_condition(default_params("knee"), "stroke", 0.5), seed=3, dt=DT)
    window = align_pendulum(trial, window_s=2.0)
    assert window.release_time_s == pytest.approx(0.3, abs=0.05)
    assert window.initial_angle == pytest.approx(0.0, abs=1.5 * DEG)
    assert window.time[0] == pytest.approx(0.3 - 0.25, abs=0.011) and window.time[-1] <= 0.3 + 2.0 + 0.05


def test_bad_input_gets_clear_errors():
    params = default_params("knee")
    t = np.linspace(0.0, 3.0, 301)
    still = Trial(t, {"angle": Channel(np.zeros_like(t), "rad")}, {"source": "still.csv"})
    with pytest.raises(RecordingError, match="still.csv.*released leg"):
        align_pendulum(still)
    short = Trial(t[:50], {"angle": Channel(np.zeros(50), "rad")}, {"source": "short.csv"})
    with pytest.raises(RecordingError, match="at least 1 s"):
        align_pendulum(short)
    # A swing that passes the pendulum quality gates (the healthy knee is still swinging after 6 s).
    swing = synthetic_pendulum(apply_condition(params, "stroke", 0.7), noise_sd_deg=0.0, dt=DT)
    with pytest.raises(ParameterError, match="did you mean"):
        fit_pendulum(swing, params, free=["motoneuron.gian"])
    with pytest.raises(ParameterError, match="method"):
        fit_pendulum(swing, params, settings=FitSettings(method="mcmc"))
    with pytest.raises(ParameterError, match="starts"):
        fit_pendulum(swing, params, settings=FitSettings(starts=0))
    with pytest.raises(ParameterError, match="noise_sd.*angle.*torque"):  # a channel the pendulum lacks
        fit_pendulum(swing, params, settings=FitSettings(noise_sd={"torque_Nm": 0.2}))
    with pytest.raises(ParameterError, match="free"):
        fit_pendulum(swing, params, free=[])
    with pytest.raises(ProtocolError, match="knee"):
        fit_pendulum(swing, default_params("elbow"))
