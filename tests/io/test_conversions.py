"""Units from the user (issue 19): Conversion(scale, offset, unit) in every reader, and an angle whose
unit is not an angle refused with the conversion to give, never kept in volts."""

import numpy as np
import pytest
import scipy.io

from myoreflex.errors import ParameterError, RecordingError
from myoreflex.io import Conversion, parse_conversions, read_csv, read_ipsa, read_opensim, read_trial
from myoreflex.units import DEG, MS

# --- the object and the command-line parser ------------------------------------------------------


def test_conversion_defaults_and_apply():
    assert Conversion() == Conversion(1.0, 0.0, None)
    volts = Conversion(scale=35.68, offset=-7.136, unit="deg")
    np.testing.assert_allclose(volts.apply(np.array([0.2, 1.2])), [0.0, 35.68], atol=1e-12)
    values = np.array([1.0, 2.0])
    assert volts.apply(values, inplace=True) is values and values[1] == pytest.approx(64.224)
    with pytest.raises(AttributeError):
        volts.scale = 2.0  # frozen


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"scale": 0.0}, "Conversion scale: expected a finite number other than 0"),
        ({"scale": float("nan")}, "Conversion scale"),
        ({"scale": "2"}, "Conversion scale"),
        ({"scale": True}, "Conversion scale"),
        ({"offset": float("inf")}, "Conversion offset: expected a finite number"),
        ({"unit": "furlong"}, "Conversion unit: expected None or a known unit"),
        ({"unit": 3}, "Conversion unit"),
    ],
)
def test_conversion_refuses_bad_values(kwargs, fragment):
    with pytest.raises(ParameterError, match=fragment.replace("(", r"\(")):
        Conversion(**kwargs)


def test_parse_conversions_from_command_line_items():
    got = parse_conversions(scale=["angle=35.68", "torque=-144049"], offset=["angle=-2"], unit=["angle=deg"])
    assert got == {"angle": Conversion(35.68, -2.0, "deg"), "torque": Conversion(-144049.0)}
    assert parse_conversions() == {}


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"scale": ["angle"]}, "--scale: expected CHANNEL=NUMBER"),
        ({"scale": ["angle=abc"]}, "--scale: expected CHANNEL=NUMBER"),
        ({"offset": ["=3"]}, "--offset: expected CHANNEL=NUMBER"),
        ({"unit": ["angle="]}, "--unit: expected CHANNEL=UNIT"),
        ({"scale": ["angle=1", "angle=2"]}, "--scale: expected each channel once"),
        ({"scale": ["angle=0"]}, "channel `angle`: Conversion scale"),
        ({"unit": ["angle=volts!"]}, "channel `angle`: Conversion unit"),
    ],
)
def test_parse_conversions_refuses_malformed_items(kwargs, fragment):
    with pytest.raises(ParameterError) as info:
        parse_conversions(**kwargs)
    assert fragment in str(info.value)


def test_readers_refuse_a_conversion_that_is_not_one(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("time_s,angle_deg\n0,10\n0.01,20\n")
    with pytest.raises(ParameterError, match="Conversion"):
        read_csv(path, conversions={"angle": (2.0, 0.0, "deg")})
    with pytest.raises(ParameterError, match="mapping"):
        read_csv(path, conversions=[("angle", Conversion())])


# --- CSV -----------------------------------------------------------------------------------------


def write(tmp_path, text, name="rec.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


VOLTS = "time_s,knee_angle_V,torque_Nm\n0,0.5,1\n0.01,1.0,2\n0.02,1.5,3\n"


def test_csv_angle_in_volts_is_refused_with_the_fix(tmp_path):
    path = write(tmp_path, VOLTS)
    with pytest.raises(RecordingError) as info:
        read_csv(path, angle_channel="knee_angle_V")
    message = str(info.value)
    for fragment in ("rec.csv", "knee_angle_V", "angle unit (deg or rad)", "'V'", "--scale angle=FACTOR"):
        assert fragment in message


@pytest.mark.parametrize("key", ["angle", "knee_angle_V"])
def test_csv_conversion_reads_volts_as_degrees(tmp_path, key):
    path = write(tmp_path, VOLTS)
    trial = read_csv(path, conversions={key: Conversion(scale=20.0, offset=-10.0, unit="deg")}, angle_sign=-1)
    np.testing.assert_allclose(trial["angle"], -(np.array([0.5, 1.0, 1.5]) * 20 - 10) * DEG)
    assert trial.unit("angle") == "rad" and trial.joint == "knee"
    original = trial.metadata["original_channels"]["angle"]
    assert original["name"] == "knee_angle_V" and original["unit"] == "V"
    assert original["scale"] == pytest.approx(-20 * DEG) and original["offset"] == pytest.approx(10 * DEG)
    assert original["conversion"] == {"scale": 20.0, "offset": -10.0, "unit": "deg"}
    # the recorded scale and offset give the SI values back from the file's
    np.testing.assert_allclose(np.array([0.5, 1.0, 1.5]) * original["scale"] + original["offset"], trial["angle"])


def test_csv_conversion_with_angle_channel_and_a_scale_only(tmp_path):
    path = write(tmp_path, "time_s,gonio_deg\n0,1\n0.01,2\n0.02,3\n")
    trial = read_csv(path, angle_channel="gonio_deg", conversions={"angle": Conversion(scale=10.0)})
    np.testing.assert_allclose(trial["angle"], np.array([10, 20, 30]) * DEG)
    assert "offset" not in trial.metadata["original_channels"]["angle"]


def test_csv_conversion_gives_a_unit_to_a_column_without_one(tmp_path):
    path = write(tmp_path, "time_s,Goniometer\n0,10\n0.01,20\n0.02,30\n")
    with pytest.raises(RecordingError, match="no recognisable unit"):
        read_csv(path)
    trial = read_csv(path, angle_channel="Goniometer", conversions={"Goniometer": Conversion(unit="deg")})
    np.testing.assert_allclose(trial["angle"], np.array([10, 20, 30]) * DEG)
    assert trial.metadata["original_channels"]["angle"]["unit"] == "(none)"


def test_csv_conversion_of_time_and_torque(tmp_path):
    path = write(tmp_path, "time_s,angle_deg,torque_Nm\n0,10,1\n1,20,2\n2,30,3\n")
    trial = read_csv(path, conversions={"time": Conversion(scale=10.0, unit="ms"),
                                        "torque": Conversion(scale=2.0, offset=1.0)})
    np.testing.assert_allclose(trial.time, np.array([0, 10, 20]) * MS)
    np.testing.assert_allclose(trial["torque"], [3.0, 5.0, 7.0])


def test_csv_conversion_to_a_wrong_quantity_is_refused(tmp_path):
    path = write(tmp_path, "time_s,knee_angle_deg\n0,10\n0.01,20\n")
    with pytest.raises(RecordingError, match="angle unit"):
        read_csv(path, angle_channel="knee_angle_deg", conversions={"angle": Conversion(unit="mm")})
    with pytest.raises(RecordingError, match="convertible to N m"):
        read_csv(write(tmp_path, "time_s,torque_Nm\n0,1\n0.01,2\n", "t.csv"),
                 conversions={"torque_Nm": Conversion(unit="V")})


def test_csv_conversion_keys_must_name_a_column_or_channel(tmp_path):
    path = write(tmp_path, "time_s,knee_angle_deg\n0,10\n0.01,20\n")
    with pytest.raises(RecordingError) as info:
        read_csv(path, conversions={"torque": Conversion(scale=2.0)})
    assert "channel `torque`" in str(info.value) and "no such channel (asked in conversions)" in str(info.value)


def test_csv_degree_check_runs_on_converted_values(tmp_path):
    # a volt trace converted to degrees that still looks like radians is caught, as a declared one is
    path = write(tmp_path, "time_s,knee_V\n0,0.1\n0.01,0.5\n0.02,1.0\n")
    with pytest.raises(RecordingError, match="looks like radians"):
        read_csv(path, angle_channel="knee_V", conversions={"angle": Conversion(scale=2.0, unit="deg")})


# --- OpenSim -------------------------------------------------------------------------------------

MOT = "name\nversion=1\nnRows=3\nnColumns=3\n{deg}endheader\ntime\tknee_angle_r\tknee_angle_r_moment\n" \
      "0.00\t1\t1\n0.01\t2\t2\n0.02\t3\t3\n"


def test_opensim_conversion_supplies_a_missing_in_degrees(tmp_path):
    path = tmp_path / "trial.mot"
    path.write_text(MOT.format(deg=""))
    with pytest.raises(RecordingError, match="inDegrees"):
        read_opensim(path, angle_channel="knee_angle_r")
    trial = read_opensim(path, angle_channel="knee_angle_r",
                         conversions={"knee_angle_r": Conversion(scale=10.0, unit="deg")})
    np.testing.assert_allclose(trial["angle"], np.array([10, 20, 30]) * DEG)
    np.testing.assert_allclose(trial["knee_angle_r"], np.array([10, 20, 30]) * DEG)


def test_opensim_angle_and_torque_keys(tmp_path):
    path = tmp_path / "trial.mot"
    path.write_text(MOT.format(deg="inDegrees=yes\n"))
    trial = read_opensim(path, angle_channel="knee_angle_r", angle_sign=-1,
                         conversions={"angle": Conversion(offset=5.0), "torque": Conversion(scale=1000.0, unit="N mm")})
    np.testing.assert_allclose(trial["angle"], -(np.array([1, 2, 3]) + 5.0) * DEG)
    np.testing.assert_allclose(trial["torque"], -np.array([1.0, 2.0, 3.0]))
    assert trial.metadata["original_channels"]["angle"]["offset"] == pytest.approx(-5 * DEG)


def test_opensim_conversion_to_a_wrong_quantity_is_refused(tmp_path):
    path = tmp_path / "trial.mot"
    path.write_text(MOT.format(deg="inDegrees=yes\n"))
    with pytest.raises(RecordingError) as info:
        read_opensim(path, angle_channel="knee_angle_r", conversions={"angle": Conversion(unit="V")})
    assert "knee_angle_r" in str(info.value) and "angle unit" in str(info.value)
    with pytest.raises(RecordingError, match="no such channel"):
        read_opensim(path, conversions={"hip_flexion_r": Conversion(scale=2.0)})


# --- IPSA and the dispatcher ---------------------------------------------------------------------


def ipsa_file(tmp_path):
    n = 300
    t = 10 + np.arange(n) / 200
    pos = np.linspace(-0.8, 0.2, n)
    segment = {"t": t, "tc": t - t[n // 2], "pos": pos, "vel": np.gradient(pos, t), "force": -np.linspace(5, 60, n),
               "emg1raw": np.zeros(n), "emg1rms": np.zeros(n), "muscles": np.array(["sol"], dtype=object),
               "meas_type": "high", "joint_name": "ankle_dorsiflex", "side_name": "RIGHT",
               "pinfo": {"distance_loadcell_to_ankle_right": 0.12}}
    path = tmp_path / "seg.mat"
    scipy.io.savemat(path, {"allsegments": segment}, long_field_names=True)
    return path, segment


def test_ipsa_conversions(tmp_path):
    path, segment = ipsa_file(tmp_path)
    (trial,) = read_ipsa(path, conversions={"angle": Conversion(unit="deg"), "emg_sol": Conversion(offset=1.0),
                                            "force": Conversion(scale=2.0)})
    np.testing.assert_allclose(trial["angle"], segment["pos"] * DEG)
    np.testing.assert_allclose(trial["emg_sol"], 1.0)
    np.testing.assert_allclose(trial["force"], -2 * segment["force"])
    assert trial.metadata["original_channels"]["force"]["scale"] == -2.0
    with pytest.raises(RecordingError, match="angle unit"):
        read_ipsa(path, conversions={"pos": Conversion(unit="V")})
    with pytest.raises(RecordingError, match="no such channel"):
        read_ipsa(path, conversions={"emg_ta": Conversion(scale=2.0)})


def test_read_trial_passes_conversions_to_every_reader(tmp_path):
    path = write(tmp_path, VOLTS)
    trial = read_trial(path, conversions={"angle": Conversion(scale=20.0, unit="deg")})
    np.testing.assert_allclose(trial["angle"], np.array([10.0, 20.0, 30.0]) * DEG)
