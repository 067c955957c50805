"""read_csv: the header convention, the real CSV files in shared/data, and every bad-input case."""

import numpy as np
import pytest

from myoreflex.errors import RecordingError
from myoreflex.io import read_csv
from myoreflex.io.csv import split_unit_suffix, vocabulary_name
from myoreflex.units import DEG, MS


def write(tmp_path, text, name="rec.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


# --- header convention ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("time_s", ("time", "s")),
        ("time_ms", ("time", "ms")),
        ("knee_angle_deg", ("knee_angle", "deg")),
        ("angular_velocity_deg_s", ("angular_velocity", "deg_s")),
        ("torque_Nm", ("torque", "nm")),
        ("torque_n_m", ("torque", "n_m")),
        ("force_n", ("force", "n")),
        ("emg_sol_mV", ("emg_sol", "mv")),
        ("emg_uV", ("emg", "uv")),
        ("marker_mm", ("marker", "mm")),
        ("hip_flexion_r", None),
        ("torque", None),
    ],
)
def test_unit_suffix_is_split_longest_first(column, expected):
    assert split_unit_suffix(column) == expected


@pytest.mark.parametrize(
    ("quantity", "dimension", "channel", "found"),
    [
        ("knee_angle", "angle", "angle", {"joint": "knee"}),
        ("knee_angle_l", "angle", "angle", {"joint": "knee", "side": "left"}),
        ("angle", "angle", "angle", {}),
        ("hip_flexion", "angle", "hip_flexion", {}),
        ("angular_velocity", "angular_velocity", "angular_velocity", {}),
        ("knee_velocity_r", "angular_velocity", "angular_velocity", {"joint": "knee", "side": "right"}),
        ("knee_moment", "torque", "torque", {"joint": "knee"}),
        ("emg", "voltage", "emg_unnamed", {}),
        ("emg_sol", "voltage", "emg_sol", {}),
        ("force_sol", "force", "force_sol", {}),
    ],
)
def test_quantity_names_map_onto_the_channel_vocabulary(quantity, dimension, channel, found):
    assert vocabulary_name(quantity, dimension) == (channel, found)


def test_convention_converts_every_unit_to_si(tmp_path):
    path = write(
        tmp_path,
        "time_ms,knee_angle_r_deg,angular_velocity_deg_s,torque_Nm,force_n,emg_sol_mV,emg_ta_uV\n"
        "0,10,100,1.5,20,1,5\n10,20,-50,2.5,30,2,6\n20,30,0,3.5,40,3,7\n",
    )
    trial = read_csv(path)
    np.testing.assert_allclose(trial.time, [0.0, 10 * MS, 20 * MS])
    np.testing.assert_allclose(trial["angle"], np.array([10, 20, 30]) * DEG)
    np.testing.assert_allclose(trial["angular_velocity"], np.array([100, -50, 0]) * DEG)
    np.testing.assert_allclose(trial["torque"], [1.5, 2.5, 3.5])
    np.testing.assert_allclose(trial["force"], [20, 30, 40])
    np.testing.assert_allclose(trial["emg_sol"], [1e-3, 2e-3, 3e-3])
    np.testing.assert_allclose(trial["emg_ta"], [5e-6, 6e-6, 7e-6])
    units = {name: trial.unit(name) for name in trial.channels}
    assert units == {
        "angle": "rad",
        "angular_velocity": "rad/s",
        "torque": "N m",
        "force": "N",
        "emg_sol": "V",
        "emg_ta": "V",
    }
    assert trial.metadata["joint"] == "knee" and trial.metadata["side"] == "right"
    assert trial.metadata["source"] == "rec.csv"
    emg = trial.metadata["original_channels"]["emg_sol"]
    assert emg == {"name": "emg_sol_mV", "unit": "mV", "scale": 1e-3}
    assert trial.metadata["original_channels"]["time"]["name"] == "time_ms"
    assert trial.metadata["rate_hz"] == pytest.approx(100.0)


def test_columns_mapping_names_scales_and_drops(tmp_path):
    path = write(tmp_path, "t;Knee;Dyn;junk\n0;1;0.001;x\n0.5;2;0.002;y\n1.0;4;0.003;z\n")
    trial = read_csv(
        path,
        time_column="t",
        columns={
            "t": ("time", "s"),
            "Knee": ("angle", "deg"),
            "Dyn": ("torque", "N m", -1000.0),
            "junk": None,
        },
        angle_sign=-1,
    )
    np.testing.assert_allclose(trial["angle"], -np.array([1, 2, 4]) * DEG)
    np.testing.assert_allclose(trial["torque"], [-1.0, -2.0, -3.0])
    assert set(trial.channels) == {"angle", "torque"}
    assert trial.metadata["original_channels"]["torque"] == {"name": "Dyn", "unit": "N m", "scale": -1000.0}


def test_angle_sign_flips_angle_and_velocity_but_not_torque(tmp_path):
    path = write(tmp_path, "time_s,knee_angle_deg,knee_velocity_deg_s,torque_nm\n0,5,1,2\n0.01,6,1,2\n")
    trial = read_csv(path, angle_sign=-1)
    assert trial["angle"][0] == pytest.approx(-5 * DEG)
    assert trial["angular_velocity"][0] == pytest.approx(-1 * DEG)
    assert trial["torque"][0] == pytest.approx(2.0)


def test_comments_blank_lines_and_tabs(tmp_path):
    path = write(tmp_path, "# lab: x\n\ntime_s\tangle_rad\n0\t0.1\n\n0.01\t0.2\n")
    trial = read_csv(path)
    assert trial.metadata["comments"] == ["lab: x"]
    np.testing.assert_allclose(trial["angle"], [0.1, 0.2])


# --- real files ----------------------------------------------------------------------------------


def test_tutorial_pendulum_csv(data_dir):
    trial = read_csv(data_dir / "kuleuven-pendulum-tutorial" / "DataPendulum.csv")
    # SOURCE.md: 844 rows at 100 Hz from 13.84 s; starts at +6.4 deg, first flexion -112.3 deg.
    assert trial.time.size == 844
    assert trial.time[0] == pytest.approx(13.84)
    assert trial.metadata["rate_hz"] == pytest.approx(100.0)
    assert np.degrees(trial["angle"][0]) == pytest.approx(6.407, abs=1e-3)
    assert np.degrees(trial["angle"].min()) == pytest.approx(-112.3, abs=0.05)
    assert trial.metadata["joint"] == "knee" and trial.unit("angle") == "rad"


def test_td_pendulum_excerpt_csv_keeps_its_gap(data_dir):
    trial = read_csv(data_dir / "kuleuven-td-pendulum-excerpt" / "TD5_IK_Trial02_knee_angle_l.csv")
    # SOURCE.md: 627 + 39 rows, gap between 13.53 and 19.26 s, OpenSim sign (flexion negative).
    assert trial.time.size == 666
    assert trial.metadata["time_gaps"] == [(13.53, 19.26)]
    assert trial.metadata["rate_hz"] == pytest.approx(100.0)
    assert trial.metadata["side"] == "left"
    assert -np.degrees(trial["angle"].min()) == pytest.approx(126.43, abs=0.01)
    path = data_dir / "kuleuven-td-pendulum-excerpt" / "TD5_IK_Trial02_knee_angle_l.csv"
    flexion = read_csv(path, angle_sign=-1)
    np.testing.assert_allclose(flexion["angle"], -trial["angle"])


@pytest.mark.parametrize("velocity", range(10, 100, 10))
def test_elbow_constant_velocity_csvs(data_dir, velocity):
    folder = data_dir / "elbow-stretch-spasticmyoelbow" / "derived_csv"
    trial = read_csv(folder / f"ref_data_0_1_v{velocity}.csv")
    assert set(trial.channels) == {"angle", "torque"}
    assert trial.metadata["joint"] == "elbow"
    assert trial.metadata["rate_hz"] == pytest.approx(500.0)
    # SOURCE.md: elbow extended 80 -> 160.5 deg, |T| < 0.7 N m, plateau velocity within 1 deg/s.
    assert np.degrees(trial["angle"][0]) == pytest.approx(80.0, abs=1.0)
    assert np.degrees(trial["angle"].max()) == pytest.approx(160.5, abs=1.0)
    assert np.abs(trial["torque"]).max() < 0.7
    # mean velocity across the middle of the ramp (100 -> 140 deg), where the robot runs at speed
    mid = (trial["angle"] > 100 * DEG) & (trial["angle"] < 140 * DEG)
    speed = np.degrees(np.ptp(trial["angle"][mid]) / np.ptp(trial.time[mid]))
    assert speed == pytest.approx(velocity, abs=1.0)


# --- bad input -----------------------------------------------------------------------------------


def assert_error(path, match, **kwargs):
    with pytest.raises(RecordingError, match=match) as info:
        read_csv(path, **kwargs)
    assert path.name in str(info.value)
    return str(info.value)


def test_empty_file(tmp_path):
    assert_error(write(tmp_path, ""), "empty file")


def test_header_only(tmp_path):
    assert_error(write(tmp_path, "time_s,angle_deg\n"), "a header only")


def test_truncated_last_row(tmp_path):
    assert_error(write(tmp_path, "time_s,angle_deg,torque_nm\n0,1,2\n0.01,2,3\n0.02,3"), "truncated")


def test_corrupt_cell(tmp_path):
    path = write(tmp_path, "time_s,angle_deg\n0,10\n0.01,1o\n0.02,12\n")
    message = assert_error(path, "a number in every cell")
    assert "angle_deg" in message and "line 3" in message


def test_not_text(tmp_path):
    path = tmp_path / "rec.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x82binary")
    assert_error(path, "UTF-8")


def test_nan_gap_says_where(tmp_path):
    rows = "".join(f"{i * 0.01:.2f},{'' if 3 <= i <= 5 else i}\n" for i in range(10))
    message = assert_error(write(tmp_path, "time_s,knee_angle_deg\n" + rows), "finite values")
    assert "knee_angle_deg" in message and "t = 0.03 to 0.05 s (3 samples)" in message


def test_time_not_increasing(tmp_path):
    path = write(tmp_path, "time_s,angle_deg\n0,10\n0.02,11\n0.01,12\n")
    message = assert_error(path, "strictly increasing")
    assert "time_s" in message and "0.02 then 0.01" in message


def test_degrees_that_look_like_radians(tmp_path):
    rows = "".join(f"{i * 0.01:.2f},{1.2 * np.sin(i / 5):.4f}\n" for i in range(30))
    message = assert_error(write(tmp_path, "time_s,knee_angle_deg\n" + rows), "looks like radians")
    assert "knee_angle_deg" in message
    trial = read_csv(tmp_path / "rec.csv", check_angle_units=False)  # the escape hatch
    assert trial.unit("angle") == "rad"


def test_radians_that_look_like_degrees(tmp_path):
    assert_error(write(tmp_path, "time_s,knee_angle_rad\n0,10\n0.01,60\n"), "looks like degrees")


def test_still_trace_is_not_judged(tmp_path):
    trial = read_csv(write(tmp_path, "time_s,hip_flexion_deg\n0,0.01\n0.01,0.02\n"))
    assert trial["hip_flexion"][1] == pytest.approx(0.02 * DEG)


def test_unknown_unit_suffix(tmp_path):
    path = write(tmp_path, "time_s,angle_deg,emg_sol\n0,1,2\n0.1,2,3\n")
    message = assert_error(path, "no recognisable unit")
    assert "emg_sol" in message


def test_unknown_unit_in_mapping(tmp_path):
    path = write(tmp_path, "time_s,x\n0,1\n0.1,2\n")
    assert_error(path, "a known unit", columns={"x": ("angle", "furlong")})


def test_mapped_column_missing(tmp_path):
    path = write(tmp_path, "time_s,angle_deg\n0,1\n0.1,2\n")
    message = assert_error(path, "no such column", columns={"Knee": ("angle", "deg")})
    assert "Knee" in message


def test_time_column_missing(tmp_path):
    assert_error(write(tmp_path, "angle_deg,torque_nm\n0,1\n0.1,2\n"), "time column")
    assert_error(write(tmp_path, "time_s,angle_deg\n0,1\n0.1,2\n"), "no such column", time_column="clock")


def test_two_angle_columns_need_a_mapping(tmp_path):
    path = write(tmp_path, "time_s,knee_angle_deg,hip_angle_deg\n0,10,20\n0.1,20,30\n")
    assert_error(path, "one column per channel")
    trial = read_csv(path, columns={"hip_angle_deg": ("hip_angle", "deg")})
    assert set(trial.channels) == {"angle", "hip_angle"}


def test_vocabulary_unit_mismatch(tmp_path):
    assert_error(write(tmp_path, "time_s,angle_nm\n0,1\n0.1,2\n"), "convertible to rad")
    assert_error(write(tmp_path, "time_s,torque_n\n0,1\n0.1,2\n"), "convertible to N m")
