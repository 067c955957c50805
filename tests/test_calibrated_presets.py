"""The calibrated presets (issue 14, done-when 1): generated from the calibrations, reached from the
command line (``simulate pendulum --calibrated``), reproducing the recordings they were fitted to on
every pendulum measure, and converged at the step they run at."""

import json
import math

import pytest
from typer.testing import CliRunner

from myoreflex.calibration import (
    MEASURES,
    PROBLEMS,
    RECORDINGS,
    STEP_TOLERANCE,
    Calibration,
    Comparison,
    _step_change,
    compare,
    data_folder,
    normalised_errors,
    with_sizes,
    write_presets,
)
from myoreflex.cli import app
from myoreflex.cli._common import preset
from myoreflex.errors import ParameterError
from myoreflex.model import default_params
from myoreflex.params import get_param
from myoreflex.protocols import CONVERGED_DT, PendulumTest

# CP1's body is read from its IPSA metadata at run time (calibration.CP1_IPSA), never copied here;
# TD5's size is unknown: the CDC median 10-year-old (calibration.TD5_AGE_YEARS).
SUBJECT_OPTIONS = {
    "cp1_right": lambda data: ["--condition", "cerebral_palsy", "--severity", "0.7", "--body-from",
                               str(data / "kuleuven-cp-ipsa-pendulum/Data/Data_CP1/IPSA/CP4_T0_PF_R.mat")],
    "td5": lambda data: ["--age-years", "10"],
}


def _recorded(key, data):
    trial = RECORDINGS[key].read(data)
    measured = PendulumTest.measure(trial)
    swing_s = float(trial.time[-1]) - float(measured.release_time_s)
    return measured, swing_s


def _errors_from_the_command_line(key, data_dir):
    """``simulate pendulum --calibrated`` for the recording's subject, released from its start angle
    and swung as long as it swings: each measure's error over its tolerance."""
    data = data_folder(data_dir)
    measured, swing_s = _recorded(key, data)
    result = CliRunner().invoke(app, ["simulate", "pendulum", "--calibrated", *SUBJECT_OPTIONS[key](data),
                                      "--release-angle-deg", f"{measured.start_angle_deg:.6f}",
                                      "--duration-s", f"{swing_s:.6f}", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output[result.output.index("{"):])
    assert out["calibrated"] is True
    recorded = {k: measured.as_dict()[k] for k in MEASURES}
    errors = normalised_errors(recorded, out["metrics"])
    assert len(errors) == len(MEASURES) == 8
    return errors


def test_the_calibrated_healthy_child_reproduces_td5_on_every_measure_from_the_command_line(data_dir):
    # issue 14, done-when 1: the healthy child reproduces TD5 within 15 % (0.1 for ratios) on every
    # pendulum measure at once
    errors = _errors_from_the_command_line("td5", data_dir)
    assert all(abs(e) <= 1.0 for e in errors.values()), errors


def test_the_calibrated_cerebral_palsy_knee_reproduces_cp1_right_on_seven_measures(data_dir):
    # docs/calibration.md: at a converged step the calibration matches CP1 right on 7 of 8 measures;
    # the time to peak velocity is 15.3 % long (0.242 against 0.210 s)
    errors = _errors_from_the_command_line("cp1_right", data_dir)
    missed = {k for k, e in errors.items() if abs(e) > 1.0}
    assert missed == {"time_to_peak_velocity_s"}, errors
    assert errors["time_to_peak_velocity_s"] < 1.1


@pytest.mark.xfail(strict=True, reason="issue 14 done-when 1: at a converged step the calibrated CP knee misses CP1 "
                   "right's time to peak velocity by 15.3 % (docs/calibration.md); the 8 of 8 runs found sit on the "
                   "edge of clonus, with a swing count that halving the step changes")
def test_the_calibrated_cerebral_palsy_knee_reproduces_cp1_right_on_every_measure(data_dir):
    errors = _errors_from_the_command_line("cp1_right", data_dir)
    assert all(abs(e) <= 1.0 for e in errors.values()), errors


def test_the_calibrated_healthy_adult_grades_as_healthy_on_the_pendulum_score():
    # tests/measures/test_clinical.py's strict xfail: the cited healthy knee swings 13 times and its
    # Popovic-Maneski 2018 PT score reads MAS 1; with the sizes calibrated on TD5 the adult swings 8
    # times (healthy adults: about 7-8, ANCHORS 4.1) and reads MAS 0, and cerebral palsy 0.7 above it
    from myoreflex.conditions import apply_condition
    from myoreflex.measures.clinical import ashworth_from_pendulum

    healthy = default_params("knee", calibrated=True)
    spastic = apply_condition(healthy, "cerebral_palsy", 0.7, calibrated=True)
    healthy_grade = ashworth_from_pendulum(PendulumTest().run(healthy, dt=CONVERGED_DT))
    spastic_grade = ashworth_from_pendulum(PendulumTest().run(spastic, dt=CONVERGED_DT))
    assert healthy_grade.grade == "0"
    assert spastic_grade.rank > healthy_grade.rank


@pytest.mark.parametrize("key", ["cp1_right", "td5"])
def test_the_calibrated_presets_match_as_well_at_half_their_step(key, data_dir):
    # the match must be the model's, not the integrator's: at 8 ms a calibrated CP model matched CP1
    # and at 2 ms swung clonically (protocols.pendulum.CONVERGED_DT)
    data = data_folder(data_dir)
    recording = RECORDINGS[key]
    params = preset("knee", recording.condition, recording.severity, recording.subject(data), calibrated=True)
    trial = recording.read(data)
    coarse = compare(key, params, trial, dt=CONVERGED_DT)
    fine = compare(key, params, trial, dt=CONVERGED_DT / 2)
    assert sum(abs(e) <= 1.0 for e in fine.errors.values()) == sum(abs(e) <= 1.0 for e in coarse.errors.values())
    assert _step_change([coarse], [fine]) <= STEP_TOLERANCE


@pytest.mark.parametrize("name", ["healthy_knee", "cerebral_palsy"])
def test_the_calibrated_presets_apply_what_the_calibration_fitted(name, data_dir):
    # the presets are generated from the calibration (calibration.write_presets): the knee of each
    # problem's subject, through the calibrated presets, carries the fitted value of every free size
    problem = PROBLEMS[name]
    data = data_folder(data_dir)
    recording = RECORDINGS[problem.recordings[0]]
    ((params, _),) = problem.models(data, problem.recordings[:1]).values()
    fitted = with_sizes(params, problem.free, [DOCUMENTED[name][f.path] for f in problem.free])
    calibrated = preset("knee", recording.condition, recording.severity, recording.subject(data), calibrated=True)
    for f in problem.free:
        assert float(get_param(calibrated, f.path)) == pytest.approx(float(get_param(fitted, f.path)), rel=2e-3,
                                                                     abs=1e-6), f.path


# The sizes of docs/calibration.md's tables (2026-12-07, at 2 ms), in each problem's order.
DOCUMENTED = {
    "healthy_knee": {"limb.damping": 0.1054, "limb.stiffness": 0.003155, "limb.baseline_torque": 0.7763,
                     "limb.srs_torque_ratio": 1.992, "limb.srs_recovery_time": 0.1428,
                     "limb.srs_elastic_limit": 0.8955, "limb.srs_still_speed": 19.35},
    "cerebral_palsy": {"motoneuron.gain": 8.859703, "motoneuron.threshold": 0.4595109, "limb.baseline_torque": 5.340090,
                       "limb.damping": 9.307794, "motoneuron.tone": 0.1000864, "limb.stiffness": 5.756114,
                       "limb.srs_torque_ratio": 0.8936800, "antagonist_geometry.optimal_angle": -0.2947277},
}


def test_calibrated_presets_exist_for_the_knee_only():
    assert default_params("knee", calibrated=True).joint == "knee"
    with pytest.raises(ParameterError, match="calibrated presets of the elbow.*knee"):
        default_params("elbow", calibrated=True)


def test_a_calibration_that_moves_with_the_step_is_not_written(tmp_path):
    free = PROBLEMS["healthy_knee"].free
    moving = Calibration(free, {f.path: f.start for f in free}, (), (), 1.0, 0.5, 10, {f.path: 1.0 for f in free},
                         step_s=0.008, step_change=1.3)
    assert not moving.step_converged and moving.as_dict()["step_converged"] is False
    target = tmp_path / "calibrated.py"
    with pytest.raises(ParameterError, match="step is halved.*1.3 at 8 ms"):
        write_presets("healthy_knee", moving, tmp_path, path=target)
    assert not target.exists()


def test_the_step_change_is_the_largest_move_of_a_normalised_error():
    coarse = Comparison("x", {}, {}, {"r1": 0.5, "period_s": -0.2, "plateau_deg": math.inf})
    fine = Comparison("x", {}, {}, {"r1": 0.7, "period_s": 0.4, "plateau_deg": math.inf})
    assert _step_change([coarse], [fine]) == pytest.approx(0.6)
    lost = Comparison("x", {}, {}, {"r1": 0.5, "period_s": -0.2, "plateau_deg": 0.0})
    assert _step_change([coarse], [lost]) == math.inf


def test_a_release_angle_or_duration_out_of_range_is_refused_before_any_work():
    result = CliRunner().invoke(app, ["simulate", "pendulum", "--release-angle-deg", "200"])
    assert result.exit_code == 2 and "--release-angle-deg" in result.output and "[-20, 91] deg" in result.output
    result = CliRunner().invoke(app, ["simulate", "pendulum", "--duration-s", "0.1"])
    assert result.exit_code == 2 and "--duration-s" in result.output
