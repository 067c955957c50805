"""A fitted subject as a simulation input (myoreflex.fit.simulate_fit; issue 17).

The fits here are written by hand in the JSON contract of ``FitResult.to_dict`` (a real fit costs
about 20 s of compilation; tests/fit/test_fit_*.py cover those): the truth's values as the fitted
ones, a Laplace sd and correlation, so that the re-simulation must reproduce the truth's measures
exactly and the draws must spread around them.
"""

import json

import numpy as np
import pytest

from myoreflex import apply_condition, default_params
from myoreflex.errors import ParameterError
from myoreflex.fit.result import FitResult
from myoreflex.fit.simulate_fit import (
    describe_params,
    fitted_params,
    params_from_description,
    posterior_draws,
    simulate_fit,
)
from myoreflex.measures import pendulum
from myoreflex.params import get_param, with_overrides
from myoreflex.protocols import PendulumTest
from myoreflex.simulation import simulate
from myoreflex.subjects import Subject, subject_params
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG

FREE = ("motoneuron.gain", "limb.damping")
TEST = PendulumTest(duration=8.0)


@pytest.fixture(scope="module")
def truth():
    child = subject_params("knee", Subject(age_years=9, sex="female"))
    return apply_condition(child, "cerebral_palsy", 0.6)


def _fit_json(truth, *, base=True, sd_fraction=0.05):
    values = {p: float(get_param(truth, p)) for p in FREE}
    bounds = {"motoneuron.gain": [0.0, 0.2], "limb.damping": [0.0, 5.0]}
    out = {"params": {**values, "initial_angle": 0.1, "release_time": 0.5},
           "ci95": {p: [v * 0.9, v * 1.1] for p, v in values.items()}, "rmse_deg": 0.8, "converged": True,
           "method": "map", "names": [*FREE, "initial_angle", "release_time"],
           "sd": {**{p: sd_fraction * v for p, v in values.items()}, "initial_angle": 0.01, "release_time": 0.01},
           "correlations": np.eye(4).tolist(), "bounds": bounds}
    if base:
        out["base"] = describe_params(truth)
    return json.loads(json.dumps(out))


def test_a_parameter_set_survives_its_json(truth):
    again = params_from_description(json.loads(json.dumps(describe_params(truth))))
    assert describe_params(again) == describe_params(truth)


def test_the_fitted_subject_reproduces_the_recordings_measures(truth, tmp_path):
    recording = pendulum.measure(simulate(truth, TEST))
    path = tmp_path / "fit.json"
    path.write_text(json.dumps(_fit_json(truth)))
    result = simulate_fit(path, TEST, draws=0)
    # The fit's residual is its RMSE; with the truth's values the re-simulation is the recording itself.
    assert result.estimate["r2n"] == pytest.approx(recording.r2n, abs=1e-9)
    assert result.estimate["first_swing_excursion_deg"] == pytest.approx(recording.first_swing_excursion_deg, abs=1e-6)


def test_draws_give_intervals_around_the_estimate_and_a_treatment_moves_them(truth):
    fit = _fit_json(truth)
    draws = posterior_draws(fit, draws=30, seed=1)
    gains = np.array([float(d.motoneuron.gain) for d in draws])
    assert np.all((gains > 0) & (gains < 0.2)) and gains.std() > 0
    before = simulate_fit(fit, TEST, draws=30)
    after = simulate_fit(fit, TEST, ["rhizotomy:50"], draws=30)
    low, high = before.ci95["r2n"]
    assert before.draws + before.failed == 30 and low <= before.median["r2n"] <= high and high > low
    assert after.median["r2n"] > before.median["r2n"] and after.estimate["r2n"] > before.estimate["r2n"]
    assert json.dumps(after.as_dict())


def test_a_fit_without_base_needs_one_or_its_subject(truth):
    fit = _fit_json(truth, base=False)
    with pytest.raises(ParameterError, match="base"):
        fitted_params(fit)
    assert float(fitted_params(fit, base=truth).limb.damping) == pytest.approx(float(truth.limb.damping))
    cli = {**fit, "subject": {"age_years": 9, "sex": "female", "body_mass_kg": None, "height_m": None},
           "fixed": {"motoneuron.threshold": 0.0}}
    rebuilt = fitted_params(cli)
    assert rebuilt.joint == "knee" and float(rebuilt.motoneuron.threshold) == 0.0


def test_fit_result_json_carries_what_a_resimulation_needs(truth):
    result = FitResult(params={"limb.damping": 0.4}, ci95={"limb.damping": (0.3, 0.5)}, sd={"limb.damping": 0.05},
                       rmse_deg=1.0, converged=True, names=("limb.damping",), correlations=np.eye(1), warnings=(),
                       method="map", data={"source": "x"}, model_version="0", settings={"bounds": {"limb.damping": [0.0, 5.0]}},
                       seed=0, history=(), noise_sd_deg=1.0, laplace_ci95={"limb.damping": (0.3, 0.5)},
                       base=describe_params(default_params("knee")))
    out = json.loads(result.to_json())
    assert {"params", "ci95", "rmse_deg", "converged", "names", "sd", "correlations", "bounds", "base"} <= set(out)
    assert "chains" not in out
    assert float(result.subject_params().limb.damping) == 0.4
    assert result.simulate(TEST, draws=0).estimate["r1"] > 0


# --- The release as recorded (issue 17) ------------------------------------------------------------
# A recording may show the leg moving before it swings freely (CP1's right knee: 16.3 deg at its first
# sample, 21.7 deg when the free swing starts 0.13 s later), and the measures start the swing where
# that movement starts. The fit lets the leg go where the recording is at the release
# (myoreflex.fit.pendulum) and keeps the recorded path; the re-simulation puts it before the swing.

START_DEG, RELEASE_DEG, RELEASE_S = 10.0, 16.0, 1.15


def _moved_then_released(truth):
    """A 100 Hz "recording": held at 10 deg, moved to 16 deg in 0.15 s at 40 deg/s (above the measures'
    20 deg/s release), then the truth's free swing from rest at 16 deg; and the path before the release
    as ``fit pendulum --json`` keeps it."""
    swing = simulate(truth, PendulumTest(release_angle=RELEASE_DEG * DEG, duration=8.0), record=("angle",))
    t = np.round(np.arange(0.85, RELEASE_S + 7.9, 0.01), 10)
    ramp = np.clip((t - (RELEASE_S - 0.15)) / 0.15, 0.0, 1.0)
    held = (START_DEG + (RELEASE_DEG - START_DEG) * ramp) * DEG
    after = np.interp(t - RELEASE_S, np.concatenate([[0.0], swing.time]),
                      np.concatenate([[RELEASE_DEG * DEG], swing["angle"]]))
    angle = np.where(t < RELEASE_S, held, after)
    recording = Trial(t, {"angle": Channel(angle, "rad")}, {"source": "moved.csv"})
    keep = t <= RELEASE_S + 0.5
    path = {"time_s": t[keep].tolist(), "angle_deg": (angle[keep] / DEG).tolist()}
    return recording, path


def test_the_fitted_subject_starts_where_its_recording_does(truth):
    # Before issue 17 the re-simulation started at the release angle (16 deg): its first swing and
    # plateau amplitude were 6 deg short of the recording's and its R1 off.
    recording, path = _moved_then_released(truth)
    fit = _fit_json(truth)
    fit["params"].update(initial_angle=RELEASE_DEG * DEG, release_time=RELEASE_S)
    fit["data"] = {"release_path": path}
    test = PendulumTest(release_angle=RELEASE_DEG * DEG, duration=7.8)
    recorded = pendulum.measure(recording)
    again = simulate_fit(fit, test, draws=0)
    assert recorded.start_angle_deg == pytest.approx(START_DEG, abs=0.05)
    assert again.estimate["start_angle_deg"] == pytest.approx(recorded.start_angle_deg, abs=0.05)
    assert again.trial.time[0] == pytest.approx(0.85, abs=0.01) and again.trial.metadata["release_time_s"] == RELEASE_S
    # The swing is the truth's: the measures agree to the sampling (100 Hz recording, 8 ms simulation).
    assert again.estimate["r1"] == pytest.approx(recorded.r1, abs=0.01)
    for key in ("first_swing_excursion_deg", "plateau_deg", "first_peak_angle_deg"):
        assert again.estimate[key] == pytest.approx(getattr(recorded, key), abs=0.2), key
    assert again.estimate["n_oscillations"] == recorded.n_oscillations
    # Without the recorded path the swing starts at the release: the old, wrong start.
    bare = simulate_fit(fit, test, draws=0, as_recorded=False)
    assert bare.estimate["start_angle_deg"] == pytest.approx(RELEASE_DEG, abs=0.3)  # its first sample, one step on
    assert abs(bare.estimate["first_swing_excursion_deg"] - recorded.first_swing_excursion_deg) > 5.0
    assert abs(bare.estimate["r1"] - recorded.r1) > 0.03
    # The draws get the same path (the release is the recording's, not the subject's).
    drawn = simulate_fit(fit, test, draws=4)
    assert drawn.ci95["start_angle_deg"][0] == pytest.approx(START_DEG, abs=0.05)


def test_a_different_test_than_the_recorded_one_gets_no_recorded_path(truth):
    _, path = _moved_then_released(truth)
    fit = _fit_json(truth)
    fit["params"].update(initial_angle=RELEASE_DEG * DEG, release_time=RELEASE_S)
    fit["data"] = {"release_path": path}
    other = simulate_fit(fit, PendulumTest(duration=8.0), draws=0)  # released from full extension
    assert other.trial.time[0] > 0 and "release_path" not in other.trial.metadata
    with pytest.raises(ParameterError, match="as_recorded"):
        simulate_fit(fit, PendulumTest(duration=8.0), draws=0, as_recorded=True)


@pytest.mark.slow
def test_a_real_fit_releases_the_leg_where_the_recording_is_and_is_simulated_again_from_there():
    """CP1's right knee (ships with the package), fitted as ``myoreflex fit pendulum`` fits it."""
    from myoreflex.datasets import load
    from myoreflex.fit import fit_pendulum
    from myoreflex.fit.pendulum import DEFAULT_START

    recording = load("cp1-right-pendulum", angle_sign=-1)
    params0 = with_overrides(subject_params("knee", Subject(body_mass_kg=58.8, height_m=1.727)), DEFAULT_START)
    result = fit_pendulum(recording, params0)
    out = json.loads(result.to_json())
    release, angle0 = out["params"]["release_time"], out["params"]["initial_angle"]
    path = out["data"]["release_path"]
    # The leg is let go where the (smoothed) recording is at the release, not 5.7 deg above it.
    assert angle0 == pytest.approx(np.interp(release, path["time_s"], path["angle_deg"]) * DEG, abs=1e-9)
    low, high = out["ci95"]["initial_angle"]
    assert low <= angle0 <= high
    (trace,) = result.traces
    before = trace.time < release
    assert np.max(np.abs(trace.fitted[before] - trace.observed[before])) < 0.5  # deg: the path, smoothed
    test = PendulumTest(release_angle=angle0, duration=out["data"]["to_s"] - release)
    again = simulate_fit(out, test, draws=0, base=params0).estimate
    recorded = pendulum.measure(recording)
    fitted = pendulum.measure(Trial(trace.time, {"angle": Channel(trace.fitted * DEG, "rad")}, {"source": "fit"}))
    # The re-simulation is the fit's own swing: its measures are those of the fitted trace...
    for key in ("start_angle_deg", "first_peak_angle_deg", "first_swing_excursion_deg", "plateau_deg"):
        assert again[key] == pytest.approx(getattr(fitted, key), abs=0.3), key
    assert again["r1"] == pytest.approx(fitted.r1, abs=0.02)
    assert again["period_s"] == pytest.approx(fitted.period_s, rel=0.02)
    # ... so they differ from the recording's by the fit's own residual: the start where the
    # recording starts, the first peak as far off as the fit is there (6 deg for CP1 right: the
    # model brakes the first swing less than this child's reflex does), the rest within the RMSE.
    assert again["start_angle_deg"] == pytest.approx(recorded.start_angle_deg, abs=0.3)
    first_swing = (trace.time >= release) & (trace.time <= release + 2 * (fitted.time_to_first_peak_s or 0.5))
    worst = float(np.max(np.abs(trace.fitted[first_swing] - trace.observed[first_swing])))
    for key in ("first_peak_angle_deg", "first_swing_excursion_deg"):
        assert abs(again[key] - getattr(recorded, key)) <= worst + 0.3, key
    assert abs(again["plateau_deg"] - recorded.plateau_deg) < out["rmse_deg"]
    assert again["n_oscillations"] == recorded.n_oscillations
    assert again["period_s"] == pytest.approx(recorded.period_s, rel=0.05)
