"""read_opensim: every .mot/.sto file in kuleuven-cp-ipsa-pendulum, plus the bad-input cases."""

from pathlib import Path

import numpy as np
import pytest

from myoreflex.errors import RecordingError
from myoreflex.io import read_opensim
from myoreflex.units import DEG

IPSA = Path("kuleuven-cp-ipsa-pendulum") / "Data"
IK = ["time", "pelvis_tilt", "pelvis_tx", "pelvis_ty", "hip_flexion_l", "hip_flexion_r", "knee_angle_l",
      "knee_angle_r", "ankle_angle_l", "ankle_angle_r", "lumbar_extension"]
IK_FC = IK + ["FC_flexion", "FC_adduction", "FC_rotation", "FC_tx", "FC_ty", "FC_tz"]
ID = ["time", "pelvis_tilt_moment", "pelvis_tx_force", "pelvis_ty_force", "hip_flexion_l_moment",
      "hip_flexion_r_moment", "lumbar_extension_moment", "knee_angle_l_moment", "knee_angle_r_moment",
      "ankle_angle_l_moment", "ankle_angle_r_moment"]
MUSCLES = ("REF", "VAL", "BIF", "MEH", "TIA", "GAS", "SOL", "GLU")
EMG_PENDULUM = ["time"] + [f"{side}{muscle}" for side in "RL" for muscle in MUSCLES]
ANGLES = "Data_CP1/IPSA/JointAngles/JointAngles_segment_"
EMG = "Data_CP1/EMG/"
FILT = EMG + "filtEMG_IPSA/filtEMG_segment_"

# file -> (column labels or their count, rows, rate in Hz, inDegrees); from the headers and SOURCE.md
FILES = {
    "Data_CP1/IK/CP4_T0_Pendulum_Sit_ISO_r_T1_IK.mot": (IK, 531, 100, True),
    "Data_CP1/IK/CP4_T0_Pendulum_Sit_ISO_l_T5_IK.mot": (IK, 903, 100, True),
    "Data_CP2/IK/CP16_T0_110_IK.mot": (IK, 703, 100, True),
    "Data_CP2/IK/CP16_T0_120_IK.mot": (IK, 633, 100, True),
    "Data_CP2/IK/CP16_T0_54_IK.mot": (IK_FC, 833, 100, True),
    "Data_CP2/IK/CP16_T0_62_IK.mot": (IK_FC, 796, 100, True),
    "Data_CP2/IK/CP16_T0_88_IK.mot": (IK_FC, 811, 100, True),
    "Data_CP2/IK/CP16_T0_98_IK.mot": (IK_FC, 598, 100, True),
    "Data_CP1/ID/CP4_T0_Pendulum_Sit_ISO_r_T1_IK_ID.sto": (ID, 531, 100, False),
    "Data_CP1/ID/CP4_T0_Pendulum_Sit_ISO_l_T5_IK_ID.sto": (ID, 903, 100, False),
    "Data_CP2/ID/CP16_T0_110_IK_ID.sto": (ID, 703, 100, False),
    "Data_CP2/ID/CP16_T0_120_IK_ID.sto": (ID, 633, 100, False),
    "Data_CP2/ID/CP16_T0_54_IK_ID.sto": (17, 833, 100, False),
    "Data_CP2/ID/CP16_T0_62_IK_ID.sto": (17, 796, 100, False),
    "Data_CP2/ID/CP16_T0_88_IK_ID.sto": (17, 812, 100, False),
    "Data_CP2/ID/CP16_T0_98_IK_ID.sto": (17, 599, 100, False),
    ANGLES + "2.mot": (["time", "pelvis_tilt", "hip_flexion_l", "knee_angle_l"], 1054, 200, True),
    ANGLES + "16.mot": (["time", "pelvis_tilt", "hip_flexion_l", "ankle_angle_l"], 1040, 200, True),
    ANGLES + "24.mot": (["time", "pelvis_tilt", "hip_flexion_r", "ankle_angle_r"], 1751, 200, True),
    "Data_CP1/IPSA/ID/ID_segment_2.sto": (ID, 1054, 200, False),
    "Data_CP1/IPSA/ID/ID_segment_16.sto": (ID, 1040, 200, False),
    "Data_CP1/IPSA/ID/ID_segment_24.sto": (ID, 1751, 200, False),
    FILT + "2.mot": (["Time", "LMEH", "LBIF", "LREF"], 1054, 200, False),
    FILT + "16.mot": (["Time", "LGAS", "LLATGAS", "LSOL", "LTIA"], 1040, 200, False),
    FILT + "24.mot": (["Time", "RGAS", "RLATGAS", "RSOL", "RTIA"], 1751, 200, False),
    EMG + "filtEMG_functional/EMG_filt_CP4_T0_Pendulum_Sit_ISO_r_T1.mot": (EMG_PENDULUM, 7940, 1000, False),
}


def raw_table(path):
    """An independent parse: the numbers after `endheader` and the label line."""
    lines = path.read_text().splitlines()
    end = next(i for i, line in enumerate(lines) if line.strip() == "endheader")
    return np.loadtxt(path, skiprows=end + 2, ndmin=2)


def test_every_opensim_file_is_listed(data_dir):
    root = data_dir / IPSA
    found = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.suffix in (".mot", ".sto")}
    assert found == set(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_real_opensim_file(data_dir, name):
    labels, rows, rate, degrees = FILES[name]
    path = data_dir / IPSA / name
    trial = read_opensim(path)
    originals = trial.metadata["original_channels"]
    names = [originals["time"]["name"]] + [v["name"] for k, v in originals.items() if k != "time"]
    if isinstance(labels, int):
        assert len(names) == labels
    else:
        assert sorted(names) == sorted(labels)
        assert names[0] == labels[0]
    assert trial.time.size == rows
    assert trial.metadata["rate_hz"] == pytest.approx(rate)
    assert trial.metadata["in_degrees"] is degrees
    assert trial.metadata["source"] == path.name
    # every value equals the file's number times the documented factor
    table = raw_table(path)
    np.testing.assert_array_equal(trial.time, table[:, 0])
    for j, label in enumerate(names[1:], start=1):
        channel = next(k for k, v in originals.items() if v["name"] == label)
        if label.endswith(("_moment",)):
            expected_unit, factor = "N m", 1.0
        elif label.endswith("_force"):
            expected_unit, factor = "N", 1.0
        elif "EMG" in path.name.upper():
            expected_unit, factor = "V", 1.0
            assert channel == "emg_" + label.lower()
        elif label.endswith(("_tx", "_ty", "_tz")):
            expected_unit, factor = "m", 1.0
        else:
            expected_unit, factor = "rad", DEG if degrees else 1.0
        assert trial.unit(channel) == expected_unit, label
        expected = table[:, names.index(label)] * factor
        np.testing.assert_allclose(trial[channel], expected, rtol=1e-15, err_msg=label)


def test_coordinate_exposes_angle_and_side(data_dir):
    path = data_dir / IPSA / "Data_CP1/IK/CP4_T0_Pendulum_Sit_ISO_r_T1_IK.mot"
    trial = read_opensim(path, angle_channel="knee_angle_r", angle_sign=-1)
    np.testing.assert_allclose(trial["angle"], -trial["knee_angle_r"])
    assert trial.metadata["side"] == "right" and trial.metadata["joint"] == "knee"
    # SOURCE.md: CP1 right knee at release is 16.7 deg of flexion; the pendulum swings to 70.1 deg.
    assert np.degrees(trial["angle"].max()) == pytest.approx(70.1, abs=0.1)
    moment_file = data_dir / IPSA / "Data_CP1/ID/CP4_T0_Pendulum_Sit_ISO_r_T1_IK_ID.sto"
    moments = read_opensim(moment_file, angle_channel="knee_angle_r")
    np.testing.assert_allclose(moments["torque"], moments["knee_angle_r_moment"])
    assert moments.unit("torque") == "N m" and "angle" not in moments


def test_joint_angles_match_the_ipsa_struct(data_dir):
    """JointAngles_segment_2 is the 2nd left knee segment; OpenSim flexion is negative (SOURCE.md)."""
    from myoreflex.io import read_ipsa

    mot = read_opensim(data_dir / IPSA / (ANGLES + "2.mot"), angle_channel="knee_angle_l", angle_sign=-1)
    segment = read_ipsa(data_dir / IPSA / "Data_CP1/IPSA/CP4_T0_MEH_L.mat")[1]
    start = 323  # JointAngles_segment_2_range.mat: the export starts at (1-based) sample 324 of the segment
    # equal to the 8 decimals the .mot keeps (5e-9 deg)
    np.testing.assert_allclose(mot["angle"], segment["angle"][start : start + mot.time.size], atol=1e-10)


# --- bad input -----------------------------------------------------------------------------------

HEADER = (
    "name\nversion=1\nnRows={rows}\nnColumns=3\ninDegrees={deg}\nendheader\n"
    "time\tknee_angle_r\tknee_angle_r_moment\n"
)


def write(tmp_path, body, rows=3, deg="yes", name="trial.mot"):
    path = tmp_path / name
    path.write_text(HEADER.format(rows=rows, deg=deg) + body)
    return path


GOOD = "0.00\t-10\t1\n0.01\t-20\t2\n0.02\t-30\t3\n"


def assert_error(path, match, **kwargs):
    with pytest.raises(RecordingError, match=match) as info:
        read_opensim(path, **kwargs)
    assert path.name in str(info.value)
    return str(info.value)


def test_good_synthetic_file_with_spaces(tmp_path):
    path = write(tmp_path, GOOD.replace("\t", "   "))
    trial = read_opensim(path, angle_channel="knee_angle_r", angle_sign=-1)
    np.testing.assert_allclose(trial["angle"], np.array([10, 20, 30]) * DEG)
    np.testing.assert_allclose(trial["torque"], [-1, -2, -3])
    assert trial.metadata["name"] == "name"


def test_empty_file(tmp_path):
    path = tmp_path / "trial.sto"
    path.write_text("")
    assert_error(path, "empty file")


def test_no_endheader(tmp_path):
    path = tmp_path / "trial.mot"
    path.write_text("name\nversion=1\nnRows=3\n")
    assert_error(path, "endheader")


def test_truncated_rows(tmp_path):
    message = assert_error(write(tmp_path, GOOD, rows=5), "nRows=5")
    assert "truncated" in message


def test_truncated_last_row(tmp_path):
    assert_error(write(tmp_path, GOOD + "0.03\t-3"), "truncated")


def test_corrupt_number(tmp_path):
    message = assert_error(write(tmp_path, GOOD.replace("-20", "-2O")), "numbers")
    assert "knee_angle_r" in message


def test_nan_gap(tmp_path):
    message = assert_error(write(tmp_path, GOOD.replace("-20", "nan")), "finite values")
    assert "knee_angle_r" in message and "t = 0.01 to 0.01 s" in message


def test_time_not_increasing(tmp_path):
    message = assert_error(write(tmp_path, GOOD.replace("0.02", "0.005")), "strictly increasing")
    assert "`time`" in message


def test_degrees_that_look_like_radians(tmp_path):
    body = "0.00\t-0.2\t1\n0.01\t-1.0\t2\n0.02\t-1.9\t3\n"
    message = assert_error(write(tmp_path, body), "looks like radians", angle_channel="knee_angle_r")
    assert "knee_angle_r" in message
    read_opensim(tmp_path / "trial.mot", angle_channel="knee_angle_r", check_angle_units=False)


def test_radians_that_look_like_degrees(tmp_path):
    assert_error(write(tmp_path, GOOD, deg="no"), "looks like degrees", angle_channel="knee_angle_r")


def test_missing_coordinate(tmp_path):
    message = assert_error(write(tmp_path, GOOD), "no such column", angle_channel="ankle_angle_r")
    assert "ankle_angle_r" in message


def test_missing_in_degrees(tmp_path):
    path = tmp_path / "trial.mot"
    path.write_text("version=1\nendheader\ntime\tknee_angle_r\n0\t1\n0.01\t2\n")
    assert_error(path, "inDegrees")
    assert read_opensim(path, in_degrees=True)["knee_angle_r"][1] == pytest.approx(2 * DEG)


def test_emg_columns_named(tmp_path):
    path = write(tmp_path, GOOD, deg="no", name="trial.sto")
    trial = read_opensim(path, emg_columns=["knee_angle_r"], emg_unit="mV")
    assert trial.unit("emg_knee_angle_r") == "V"
    np.testing.assert_allclose(trial["emg_knee_angle_r"], [-0.01, -0.02, -0.03])
    assert_error(path, "no such column", emg_columns=["RSOL"])


def test_angle_channel_or_its_moment_in_an_emg_file_is_a_clear_error(tmp_path):
    # found by tests/io/test_fuzz.py: in a file whose name says EMG every column is EMG, and the
    # coordinate or its moment picked as angle or torque raised KeyError instead of an error
    path = tmp_path / "trial_emg.sto"
    path.write_text("inDegrees=yes\nendheader\ntime\tknee_angle_r\tknee_angle_r_moment\n"
                    "0\t1\t1\n0.01\t2\t2\n0.02\t3\t3\n")
    message = assert_error(path, "a rotational coordinate", angle_channel="knee_angle_r")
    assert "(an EMG column)" in message
    path.write_text("inDegrees=yes\nendheader\ntime\tknee_angle_r_moment\n0\t1\n0.01\t2\n0.02\t3\n")
    message = assert_error(path, "a joint moment in N m", angle_channel="knee_angle_r")
    assert "knee_angle_r_moment" in message and "(an EMG column)" in message
