"""Calibration as code (issue 14 item 3): the fit of preset sizes to recordings' measures."""

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from myoreflex import PendulumTest, default_params, simulate
from myoreflex.calibration import (
    MEASURES,
    PROBLEMS,
    Free,
    calibrate,
    compare,
    normalised_errors,
    run_problem,
    squares_cost,
    worst_cost,
)
from myoreflex.cli import app
from myoreflex.errors import ParameterError, RecordingError
from myoreflex.params import with_overrides


def test_errors_are_over_the_acceptance_tolerances():
    # issue 14: within 0.1 for the ratios, 15 % for every other measure
    errors = normalised_errors({"r1": 1.6, "r2n": 1.0, "period_s": 1.0, "n_oscillations": 4},
                               {"r1": 1.7, "r2n": 0.95, "period_s": 1.15, "n_oscillations": 3})
    assert errors["r1"] == pytest.approx(1.0) and errors["r2n"] == pytest.approx(-0.5)
    assert errors["period_s"] == pytest.approx(1.0) and errors["n_oscillations"] == pytest.approx(-1 / 0.6)
    assert normalised_errors({"period_s": 1.0}, {"period_s": None})["period_s"] == np.inf


def test_a_known_damping_is_recovered_from_a_synthetic_recording():
    knee = default_params("knee")
    truth = with_overrides(knee, {"limb.damping": 3.0 * knee.limb.damping})
    recording = simulate(truth, PendulumTest(), record=("angle",))
    before = compare("synthetic", knee, recording)
    assert not before.matches  # three times the damping is visible in the measures
    result = calibrate({"synthetic": (knee, recording)}, [Free("limb.damping", "scale", 0.2, 20.0, 1.0)],
                       max_evaluations=60)
    assert result.sizes["limb.damping"] == pytest.approx(3.0, rel=0.1)
    assert result.after[0].matches and result.cost_after < result.cost_before
    assert result.not_determined == []
    assert set(result.as_dict()["after"][0]) == {"recording", "measure", "recorded", "simulated", "error", "match"}
    assert [row["measure"] for row in result.as_dict()["after"]] == list(MEASURES)


def test_the_worst_measure_objective_recovers_the_damping_and_is_recorded():
    # calibration.worst_cost: the minimax objective, below 1 exactly when every measure is within tolerance
    knee = default_params("knee")
    truth = with_overrides(knee, {"limb.damping": 3.0 * knee.limb.damping})
    recording = simulate(truth, PendulumTest(), record=("angle",))
    result = calibrate({"synthetic": (knee, recording)}, [Free("limb.damping", "scale", 0.2, 20.0, 1.0)],
                       max_evaluations=60, objective="worst")
    assert result.sizes["limb.damping"] == pytest.approx(3.0, rel=0.1)
    assert result.after[0].matches and result.cost_after < 1.0 < result.cost_before
    assert result.as_dict()["objective"] == "worst"
    with pytest.raises(ParameterError, match="objective.*squares, worst"):
        calibrate({"synthetic": (knee, recording)}, [Free("limb.damping", "scale", 0.2, 20.0, 1.0)], objective="max")
    bad = CliRunner().invoke(app, ["calibrate", "cerebral_palsy", "--objective", "max"])
    assert bad.exit_code == 2 and "--objective" in bad.output


def test_the_objectives_cap_each_error_and_the_worst_one_leads():
    assert squares_cost([0.5, -2.0, math.inf]) == pytest.approx(0.25 + 4.0 + 100.0)
    assert worst_cost([0.5, -2.0]) == pytest.approx(2.0 + 0.01 * 4.25)
    assert worst_cost([0.9] * 8) < 1.0 < worst_cost([0.0] * 7 + [1.01])  # every measure in, or not


def test_a_size_the_measures_do_not_feel_is_named():
    knee = default_params("knee")
    recording = simulate(knee, PendulumTest(), record=("angle",))
    # the healthy knee's reflex is silent in its swing: its gain changes no measure
    result = calibrate({"synthetic": (knee, recording)}, [Free("motoneuron.gain", "scale", 0.5, 2.0, 1.0)],
                       max_evaluations=20)
    assert result.not_determined == ["motoneuron.gain"]
    assert result.as_dict()["sizes"]["motoneuron.gain"]["determined"] is False


def test_bad_sizes_problems_and_folders_are_refused(tmp_path):
    with pytest.raises(ParameterError, match="free size"):
        Free("limb.damping", "times", 0.1, 2.0, 1.0)
    with pytest.raises(ParameterError, match="free size"):
        Free("limb.damping", "scale", 1.0, 2.0, 3.0)
    with pytest.raises(ParameterError, match="healthy_knee"):
        run_problem("nope", tmp_path)
    with pytest.raises(RecordingError, match="no such folder"):
        run_problem("healthy_knee", tmp_path / "missing")
    with pytest.raises(RecordingError, match=r"--data.*missing kuleuven-td-pendulum-excerpt"):
        run_problem("healthy_knee", tmp_path)  # a folder without TD5 and the tutorial child
    result = CliRunner().invoke(app, ["calibrate", "nope"])
    assert result.exit_code == 2 and "healthy_knee" in result.output
    result = CliRunner().invoke(app, ["calibrate", "healthy_knee", "--data", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "--data" in result.output and "simulations" not in result.output


def test_cerebral_palsy_calibration_on_cp1_improves_every_measure_it_can(data_dir, tmp_path):
    out = tmp_path / "cp.json"
    result = CliRunner().invoke(app, ["calibrate", "cerebral_palsy", "--data", str(data_dir),
                                      "--max-evaluations", "80", "--out", str(out)])
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text())
    assert saved["cost_after"] < saved["cost_before"]
    after = {row["measure"]: row for row in saved["after"]}
    before = {row["measure"]: row for row in saved["before"]}
    assert sum(row["match"] for row in after.values()) > sum(row["match"] for row in before.values())
    assert set(saved["sizes"]) == {f.path for f in PROBLEMS["cerebral_palsy"].free}


def test_published_group_values_are_compared_on_the_measures_they_give():
    # ANCHORS 4.1: healthy adults R1 about 1.6 (Bajd & Bowman 1982), about 7 swings (PT-score controls).
    from myoreflex.calibration import PUBLISHED, compare
    from myoreflex.model import default_params

    target = PUBLISHED["healthy_adult"]
    result = compare(target.name, default_params("knee"), target)
    assert set(result.errors) == {"r1", "n_oscillations"}
    assert abs(result.errors["r1"]) <= 1.0  # the preset's healthy adult: R1 within 0.1 of 1.6



def test_the_recorded_cerebral_palsy_sizes_match_cp1_right_on_every_measure_at_a_converged_step(data_dir,
                                                                                          calibration_sizes):
    # docs/calibration.md (2026-12-07): `myoreflex calibrate cerebral_palsy --max-evaluations 800 --seed 16`
    # (cerebral_palsy_seed16.json: 7 of 8, the time to peak velocity 15.3 % long), refined with
    # `--start-from cerebral_palsy_seed16.json --objective worst --max-evaluations 500`
    # (cerebral_palsy_worst.json), at 2 ms on top of the calibrated healthy knee, matches CP1's spastic
    # right knee on all 8 pendulum measures at issue 14's tolerances (0.1 for R1 and R2n, 15 % for the others)
    from myoreflex.calibration import compare, data_folder, with_sizes

    problem = PROBLEMS["cerebral_palsy"]
    assert problem.on_calibrated_healthy
    ((params, trial),) = problem.models(data_folder(data_dir)).values()
    for name, missed in (("cerebral_palsy_seed16.json", {"time_to_peak_velocity_s"}),
                         ("cerebral_palsy_worst.json", set())):
        sizes = calibration_sizes(name)
        assert list(sizes) == [f.path for f in problem.free]
        result = compare("CP1 right", with_sizes(params, problem.free, list(sizes.values())), trial)
        assert len(result.errors) == 8
        assert {k for k, e in result.errors.items() if abs(e) > 1.0} == missed, (name, result.errors)


def test_the_recorded_healthy_sizes_reproduce_td5_on_all_eight_measures_with_physiological_bonds(data_dir,
                                                                                               calibration_sizes):
    # docs/calibration.md (2026-12-07): `myoreflex calibrate healthy_knee --max-evaluations 900 --seed 1`
    # (healthy_knee_seed1.json) fits TD5 alone, with the bonds' recovery time held to 0.28-1 s (Horslen et
    # al. 2023: fibres' resistance still ~70 % down 0.1 s after a large movement, so tau >= 0.1 / ln(1 / 0.7)
    # = 0.28 s; back after 1 s), and matches every pendulum measure at issue 14's tolerances.
    from myoreflex.calibration import compare, data_folder, with_sizes
    from myoreflex.physiology.limb import LimbParams

    sizes = calibration_sizes("healthy_knee_seed1.json")
    problem = PROBLEMS["healthy_knee"]
    assert list(sizes) == [f.path for f in problem.free]
    recovery_s = sizes["limb.srs_recovery_time"] * LimbParams().srs_recovery_time
    assert 0.28 <= recovery_s <= 1.0
    ((params, trial),) = problem.models(data_folder(data_dir)).values()
    result = compare("TD5", with_sizes(params, problem.free, list(sizes.values())), trial)
    assert len(result.errors) == 8
    assert result.matches, result.errors


def test_a_refinement_must_start_from_the_same_calibrations_sizes(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = CliRunner().invoke(app, ["calibrate", "cerebral_palsy", "--start-from", str(broken)])
    assert result.exit_code == 2 and "--start-from" in result.output and "broken.json" in result.output
    other = tmp_path / "healthy.json"
    other.write_text(json.dumps({"sizes": {f.path: {"value": f.start} for f in PROBLEMS["healthy_knee"].free}}))
    result = CliRunner().invoke(app, ["calibrate", "cerebral_palsy", "--start-from", str(other)])
    assert result.exit_code == 2 and "sizes of calibration cerebral_palsy" in result.output
    with pytest.raises(ParameterError, match="every free size"):
        run_problem("cerebral_palsy", start={"motoneuron.gain": 2.0})
