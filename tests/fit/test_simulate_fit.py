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
from myoreflex.params import get_param
from myoreflex.protocols import PendulumTest
from myoreflex.simulation import simulate
from myoreflex.subjects import Subject, subject_params

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
