"""read_opensim on OpenSim 4 / Moco tables: path labels get the units of the states they name (issue 15).

The files are written here, shaped like a MocoTrajectory export (``MocoTrajectory::write``): a
name line, ``key=value`` header lines with ``inDegrees=no``, ``endheader``, then path labels
for coordinate values and speeds, muscle states and controls, and Moco's multipliers.
"""

import math

import numpy as np
import pytest

from myoreflex.errors import RecordingError
from myoreflex.io import Conversion, read_opensim, read_trial
from myoreflex.units import DEG

LABELS = ["time", "/jointset/knee_r/knee_angle_r/value", "/jointset/knee_r/knee_angle_r/speed",
          "/jointset/ground_pelvis/pelvis_tx/value", "/jointset/ground_pelvis/pelvis_tx/speed",
          "/forceset/vasti_r/activation", "/forceset/vasti_r/normalized_tendon_force", "/forceset/vasti_r",
          "/forceset/soleus_r/fiber_length", "lambda_cid0_p0"]


def moco_file(path, in_degrees="no", labels=LABELS, angle=None):
    time = np.linspace(0.0, 0.5, 6)
    angle = -0.2 - 0.8 * time if angle is None else angle
    columns = [time, angle, np.full(6, -0.8), 0.01 * time, np.full(6, 0.01), np.full(6, 0.3), np.full(6, 0.9),
               np.full(6, 0.4), np.full(6, 0.05), np.zeros(6)][: len(labels)]
    rows = "\n".join("\t".join(f"{column[i]:.10g}" for column in columns) for i in range(6))
    header = (f"knee_solution\nversion=1\nOpenSimVersion=4.5\nDataType=double\ninDegrees={in_degrees}\n"
              f"num_states=8\nnum_controls=1\nendheader\n")
    path.write_text(header + "\t".join(labels) + "\n" + rows + "\n")
    return path


def test_states_get_their_units_and_names(tmp_path):
    trial = read_opensim(moco_file(tmp_path / "knee_solution.sto"))
    units = {name: trial.unit(name) for name in trial.channels}
    assert units == {
        "knee_angle_r": "rad", "knee_angle_r_speed": "rad/s", "pelvis_tx": "m", "pelvis_tx_speed": "m/s",
        "activation_vasti_r": "1", "tendon_force_norm_vasti_r": "1", "control_vasti_r": "1",
        "fibre_length_soleus_r": "m",
    }
    np.testing.assert_allclose(trial["knee_angle_r_speed"], -0.8)
    np.testing.assert_allclose(trial["activation_vasti_r"], 0.3)
    assert trial.metadata["skipped_columns"] == {
        "lambda_cid0_p0": "an OpenSim 4 label without a known unit (not a coordinate or muscle state)"}
    assert trial.metadata["original_channels"]["knee_angle_r"]["name"] == "/jointset/knee_r/knee_angle_r/value"


@pytest.mark.parametrize("asked", ["knee_angle_r", "/jointset/knee_r/knee_angle_r/value"])
def test_the_coordinate_option_finds_the_coordinate(tmp_path, asked):
    path = moco_file(tmp_path / "knee_solution.sto")
    trial = read_trial(path, angle_channel=asked, angle_sign=-1)
    assert trial.joint == "knee" and trial.side == "right"
    np.testing.assert_allclose(trial["angle"], 0.2 + 0.8 * np.linspace(0, 0.5, 6), rtol=1e-9)
    np.testing.assert_allclose(trial["angular_velocity"], 0.8)
    assert trial.unit("angular_velocity") == "rad/s"


def test_in_degrees_turns_values_and_speeds_into_degrees(tmp_path):
    path = moco_file(tmp_path / "knee_deg.sto", in_degrees="yes", angle=np.linspace(-10.0, -50.0, 6))
    trial = read_opensim(path, angle_channel="knee_angle_r")
    np.testing.assert_allclose(trial["angle"], np.linspace(-10.0, -50.0, 6) * DEG)
    np.testing.assert_allclose(trial["angular_velocity"], -0.8 * DEG)
    np.testing.assert_allclose(trial["pelvis_tx_speed"], 0.01)  # translations stay in m/s
    assert trial.metadata["original_channels"]["knee_angle_r_speed"]["unit"] == "deg/s"


def test_a_speed_conversion_by_channel_name(tmp_path):
    path = moco_file(tmp_path / "knee_solution.sto")
    trial = read_opensim(path, angle_channel="knee_angle_r",
                         conversions={"angular_velocity": Conversion(scale=2.0, unit="rad/s")})
    np.testing.assert_allclose(trial["angular_velocity"], -1.6)


def test_an_unknown_coordinate_lists_the_coordinates(tmp_path):
    path = moco_file(tmp_path / "knee_solution.sto")
    with pytest.raises(RecordingError) as info:
        read_opensim(path, angle_channel="ankle_angle_r")
    message = str(info.value)
    assert "knee_solution.sto" in message and "ankle_angle_r" in message and "knee_angle_r" in message


def test_a_translation_is_not_an_angle(tmp_path):
    path = moco_file(tmp_path / "knee_solution.sto")
    with pytest.raises(RecordingError, match=r"pelvis_tx/value.*rotational coordinate.*in m"):
        read_opensim(path, angle_channel="pelvis_tx")


def test_a_speed_without_in_degrees_is_refused(tmp_path):
    path = tmp_path / "no_flag.sto"
    path.write_text("endheader\ntime\t/jointset/knee_r/knee_angle_r/speed\n0\t1\n0.1\t1\n")
    with pytest.raises(RecordingError, match=r"knee_angle_r/speed.*inDegrees"):
        read_opensim(path)
    assert math.isclose(read_opensim(path, in_degrees=False)["knee_angle_r_speed"][0], 1.0)
