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
    STEP_CHECKS,
    STEP_TOLERANCE,
    Calibration,
    Comparison,
    _step_change,
    compare,
    data_folder,
    normalised_errors,
    pendulum_like,
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


def test_the_calibrated_cerebral_palsy_knee_reproduces_cp1_right_on_every_measure_from_the_command_line(data_dir):
    # issue 14, done-when 1: the calibrated cerebral-palsy preset for CP1's size reproduces CP1 right
    # within 15 % (0.1 for ratios) on every pendulum measure at once (docs/calibration.md: the worst
    # measure is 0.93 of its tolerance)
    errors = _errors_from_the_command_line("cp1_right", data_dir)
    assert all(abs(e) <= 1.0 for e in errors.values()), errors


def _prominences_deg(trial):
    """The prominences of a pendulum trace's flexion peaks after the release (deg), as the measures
    find them (measures.pendulum: 1 deg at least)."""
    from scipy.signal import find_peaks

    from myoreflex.measures import pendulum as measures
    from myoreflex.units import DEG

    swing = measures._swing(trial, "angle")
    _, found = find_peaks(swing.direction * swing.angle[swing.release:], prominence=measures.PEAK_PROMINENCE)
    return found["prominences"] / DEG


@pytest.mark.xfail(strict=True, reason="issue 14: the calibrated knees' last counted swing is a ripple of about "
                   "1 deg at the measures' 1 deg prominence threshold (TD5's last swing is 6.9 deg, CP1's 3.1 deg): "
                   "their swings stop abruptly where the recordings' decay (docs/calibration.md)")
@pytest.mark.parametrize("key", ["cp1_right", "td5"])
def test_the_calibrated_knees_last_counted_swing_is_a_swing_not_a_ripple(key, data_dir):
    data = data_folder(data_dir)
    recording = RECORDINGS[key]
    params = preset("knee", recording.condition, recording.severity, recording.subject(data), calibrated=True)
    trial = recording.read(data)
    measured = PendulumTest.measure(trial)
    simulated = _prominences_deg(pendulum_like(trial, measured).run(params, dt=CONVERGED_DT))
    recorded = _prominences_deg(trial)
    assert simulated.size == recorded.size
    assert simulated[-1] >= 0.5 * recorded[-1]


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
@pytest.mark.parametrize("finer", STEP_CHECKS)
def test_the_calibrated_presets_match_as_well_at_a_half_and_a_quarter_of_their_step(key, finer, data_dir):
    # the match must be the model's, not the integrator's: at 8 ms a calibrated CP model matched CP1
    # and at 2 ms swung clonically (protocols.pendulum.CONVERGED_DT); a later one matched at 2 and
    # 1 ms and lost a swing at 0.5 ms (calibration.STEP_CHECKS)
    data = data_folder(data_dir)
    recording = RECORDINGS[key]
    params = preset("knee", recording.condition, recording.severity, recording.subject(data), calibrated=True)
    trial = recording.read(data)
    coarse = compare(key, params, trial, dt=CONVERGED_DT)
    fine = compare(key, params, trial, dt=CONVERGED_DT / finer)
    assert sum(abs(e) <= 1.0 for e in fine.errors.values()) == sum(abs(e) <= 1.0 for e in coarse.errors.values())
    assert _step_change([coarse], [fine]) <= STEP_TOLERANCE


DOCUMENTED = {"healthy_knee": "healthy_knee_seed1.json", "cerebral_palsy": "cerebral_palsy_worst.json"}
"""The committed calibration output from which each problem's presets were written."""


@pytest.mark.parametrize("name", ["healthy_knee", "cerebral_palsy"])
def test_the_calibrated_presets_apply_what_the_calibration_fitted(name, data_dir, calibration_sizes):
    # the presets are generated from the calibration (calibration.write_presets): the knee of each
    # problem's subject, through the calibrated presets, carries the fitted value of every free size
    problem = PROBLEMS[name]
    data = data_folder(data_dir)
    recording = RECORDINGS[problem.recordings[0]]
    ((params, _),) = problem.models(data, problem.recordings[:1]).values()
    fitted = with_sizes(params, problem.free, [calibration_sizes(DOCUMENTED[name])[f.path] for f in problem.free])
    calibrated = preset("knee", recording.condition, recording.severity, recording.subject(data), calibrated=True)
    for f in problem.free:
        assert float(get_param(calibrated, f.path)) == pytest.approx(float(get_param(fitted, f.path)), rel=2e-3,
                                                                     abs=1e-6), f.path


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
    with pytest.raises(ParameterError, match="step is halved and quartered.*1.3 at 8 ms"):
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


def test_a_condition_change_that_overshoots_its_bounds_at_full_severity_is_not_written(tmp_path):
    # the calibration fits at CP1's severity 0.7 and the presets apply the change linearly in w up to
    # severity 1: an intermediate run wrote a short-range ratio that then exceeded its bound of 3
    # (3.49), which apply_condition refused only when a user asked for severity 1
    free = PROBLEMS["cerebral_palsy"].free
    sizes = {f.path: f.start for f in free} | {"limb.srs_torque_ratio": 2.9}  # 2.9 / w(0.7) > 3 at 1
    overshooting = Calibration(free, sizes, (), (), 1.0, 0.5, 10, {f.path: 1.0 for f in free}, step_s=0.002,
                               step_change=0.0)
    target = tmp_path / "calibrated.py"
    with pytest.raises(ParameterError, match=r"bounds at severity 1 \(cerebral_palsy\).*srs_torque_ratio"):
        write_presets("cerebral_palsy", overshooting, data_folder(), path=target)
    assert not target.exists()
