"""The pendulum fit finds the angle sign from the swing, or stops with one clear error (issue 14).

Real recordings (shared/data, skipped without it): CP1 right (OpenSim ``knee_angle_r``) and TD5 (a
CSV of ``knee_angle_l``), both with flexion negative. A leg released from extension falls into
flexion, so in myoreflex's convention (flexion positive) the swing runs towards larger angles.
Before, forgetting ``--angle-sign -1`` fitted the mirrored swing (RMSE 122 deg) and said "converged".
"""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from myoreflex.cli import app
from myoreflex.cli.fit import pendulum_with_sign
from myoreflex.errors import RecordingError
from myoreflex.fit import FitSettings, fit_pendulum
from myoreflex.fit.pendulum import GOOD_RMSE_DEG, swing_direction
from myoreflex.io import read_csv, read_opensim
from myoreflex.model import default_params

CP1_RIGHT = "kuleuven-cp-ipsa-pendulum/Data/Data_CP1/IK/CP4_T0_Pendulum_Sit_ISO_r_T1_IK.mot"
TD5 = "kuleuven-td-pendulum-excerpt/TD5_IK_Trial02_knee_angle_l.csv"
runner = CliRunner()


def test_the_swing_direction_gives_the_sign_of_real_recordings(data_dir):
    for read in (lambda sign: read_opensim(data_dir / CP1_RIGHT, angle_channel="knee_angle_r", angle_sign=sign),
                 lambda sign: read_csv(data_dir / TD5, angle_sign=sign)):
        assert swing_direction(read(1.0)) == -1.0  # as stored: flexion negative
        assert swing_direction(read(-1.0)) == 1.0


def test_a_flexion_negative_recording_is_refused_by_the_fit_before_any_work(data_dir):
    trial = read_csv(data_dir / TD5)  # the file's own sign
    with pytest.raises(RecordingError, match=r"TD5.*flexion positive.*angle_sign=-1"):
        fit_pendulum(trial, default_params("knee"), settings=FitSettings(starts=1))


def test_without_angle_sign_the_command_reads_what_angle_sign_minus_one_reads(data_dir):
    # The fit is a deterministic function of the Trial, so the same Trial gives the same fit.
    for path, coordinate in ((data_dir / TD5, None), (data_dir / CP1_RIGHT, "knee_angle_r")):
        detected, sign = pendulum_with_sign(path, coordinate, None, None)
        given, given_sign = pendulum_with_sign(path, coordinate, -1.0, None)
        assert sign["angle_sign"] == -1.0 and "detected" in sign["angle_sign_source"]
        assert given_sign["angle_sign"] == -1.0 and "given" in given_sign["angle_sign_source"]
        assert np.array_equal(detected["angle"], given["angle"]) and np.array_equal(detected.time, given.time)


def test_a_wrong_angle_sign_is_one_clear_error_naming_the_right_one(data_dir):
    result = runner.invoke(app, ["fit", "pendulum", str(data_dir / TD5), "--angle-sign", "1", "--json"])
    assert result.exit_code == 2
    assert "--angle-sign" in result.output and "expected -1 for this file" in result.output
    assert "Traceback" not in result.output


def test_free_parameters_entering_as_a_sum_and_profiles_of_fixed_ones_are_usage_errors(data_dir):
    base = ["fit", "pendulum", str(data_dir / TD5)]
    both = runner.invoke(app, [*base, "--free", "motoneuron.threshold", "--free", "descending.inhibition"])
    assert both.exit_code == 2 and "at most one of motoneuron.threshold" in both.output
    fixed = runner.invoke(app, [*base, "--free", "motoneuron.gain", "--profile", "limb.damping"])
    assert fixed.exit_code == 2 and "--profile: expected a free parameter" in fixed.output


@pytest.mark.slow
def test_fit_pendulum_without_angle_sign_fits_a_real_child_and_grades_it(data_dir):
    # One real fit (about a minute on 2 cores): TD5, an age-typical 10-year-old body (its size is unknown).
    result = runner.invoke(app, ["fit", "pendulum", str(data_dir / TD5), "--body-mass-kg", "32",
                                 "--height-m", "1.38", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output.strip().splitlines()[-1])
    assert out["angle_sign"] == -1.0
    assert {"params", "ci95", "rmse_deg", "converged", "identified", "quality", "convergence"} <= set(out)
    assert out["subject_assumed"] == {}  # the size was given
    assert out["quality"] == ("good" if out["rmse_deg"] < GOOD_RMSE_DEG else "poor")
    assert out["rmse_deg"] < 60.0  # the mirrored swing of a forgotten sign gave 122 deg
    # A parameter left at its start makes the fit not converged, and is named as not identified.
    for name in out["convergence"]["unmoved"]:
        assert out["converged"] is False and out["identified"][name] is False
