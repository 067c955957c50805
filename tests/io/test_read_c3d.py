"""read_c3d: the analog-only Biodex file of kuleuven-biodex-srs-c3d, plus the bad-input cases."""

import numpy as np
import pytest

from myoreflex.errors import RecordingError
from myoreflex.io import Conversion, read_c3d
from myoreflex.units import DEG

ezc3d = pytest.importorskip("ezc3d")

LABELS = [f"Voltage.{i}" for i in range(1, 17)] + [
    "Angle.1",
    "Angular Velocity.1",
    "Electric Potential.1",
    "Torque.1",
    "Triggerpulse.Ultrasound - Pin 17",
]
# SOURCE.md (upstream convert_c3d_to_mat.m): angle_deg = V x 35.6838, velocity = V x 35.6838,
# torque = -V x 144049.
BIODEX = {
    "Angle.1": (35.6838, "deg"),
    "Angular Velocity.1": (35.6838, "deg/s"),
    "Torque.1": (-144049.0, "N m"),
}


@pytest.fixture(scope="module")
def biodex_path(data_dir):
    return data_dir / "kuleuven-biodex-srs-c3d" / "data" / "5-20a.c3d"


@pytest.fixture(scope="module")
def volts(biodex_path):
    """The file's analog values as ezc3d gives them (the comparator)."""
    return ezc3d.c3d(str(biodex_path))["data"]["analogs"][0]


def test_biodex_channels_rate_and_scales(biodex_path, volts):
    trial = read_c3d(
        biodex_path,
        angle_channel="Angle.1",
        velocity_channel="Angular Velocity.1",
        torque_channel="Torque.1",
        emg_channels={"Voltage.1": "tibialis_anterior", "Voltage.2": "soleus"},
        scales=BIODEX,
    )
    originals = trial.metadata["original_channels"]
    assert sorted(v["name"] for k, v in originals.items() if k != "time") == sorted(LABELS)
    # SOURCE.md: ANALOG rate 1000 Hz, 17 390 samples, no point data, every unit V.
    assert trial.time.size == 17390
    assert trial.metadata["rate_hz"] == pytest.approx(1000.0)
    assert trial.metadata["analog_rate"] == 1000.0 and trial.metadata["point_count"] == 0
    assert trial.metadata["point_labels"] == []
    np.testing.assert_allclose(trial["angle"], volts[16] * 35.6838 * DEG, rtol=1e-12)
    np.testing.assert_allclose(trial["angular_velocity"], volts[17] * 35.6838 * DEG, rtol=1e-12)
    np.testing.assert_allclose(trial["torque"], -volts[19] * 144049.0, rtol=1e-12)
    np.testing.assert_array_equal(trial["emg_tibialis_anterior"], volts[0])
    np.testing.assert_array_equal(trial["emg_soleus"], volts[1])
    units = [trial.unit(c) for c in ("angle", "angular_velocity", "torque", "emg_soleus")]
    assert units == ["rad", "rad/s", "N m", "V"]
    # the odd vendor labels are kept, cleaned, as analog channels in V
    assert trial.unit("analog_triggerpulse_ultrasound_pin_17") == "unknown"
    assert trial.unit("analog_electric_potential_1") == "V"
    assert originals["analog_electric_potential_1"]["name"] == "Electric Potential.1"
    assert originals["angle"]["unit"] == "V"
    assert originals["angle"]["description"] == "Generic Analog::Angle [2,1]"
    # plausible for the protocol: ankle held near 5 deg, 20 % MVC torque of order 10-100 N m
    assert 0 < np.degrees(np.median(trial["angle"])) < 20
    assert 5 < np.median(trial["torque"]) < 150


def test_an_angle_in_volts_is_refused_and_a_conversion_reads_it(biodex_path, volts):
    # issue 19: an angle recorded in volts was measured as radians (a UnitWarning on stderr only)
    with pytest.raises(RecordingError) as info:
        read_c3d(biodex_path, angle_channel="Angle.1", keep_other_channels=False)
    message = str(info.value)
    for fragment in ("5-20a.c3d", "Angle.1", "angle unit", "'V'", "Conversion(scale=FACTOR, unit='deg')",
                     "--scale angle=FACTOR --unit angle=deg"):
        assert fragment in message
    with pytest.raises(RecordingError, match="torque unit"):
        read_c3d(biodex_path, torque_channel="Torque.1", keep_other_channels=False)
    trial = read_c3d(biodex_path, angle_channel="Angle.1", keep_other_channels=False,
                     conversions={"angle": Conversion(scale=35.6838, offset=-2.0, unit="deg")})
    assert trial.unit("angle") == "rad" and list(trial.channels) == ["angle"]
    np.testing.assert_allclose(trial["angle"], (volts[16] * 35.6838 - 2.0) * DEG, rtol=1e-12)
    original = trial.metadata["original_channels"]["angle"]
    assert original["scale"] == pytest.approx(35.6838 * DEG) and original["offset"] == pytest.approx(-2.0 * DEG)
    assert original["conversion"] == {"scale": 35.6838, "offset": -2.0, "unit": "deg"}
    by_label = read_c3d(biodex_path, angle_channel="Angle.1", keep_other_channels=False,
                        conversions={"Angle.1": Conversion(scale=35.6838, offset=-2.0, unit="deg")})
    np.testing.assert_array_equal(by_label["angle"], trial["angle"])


def test_all_channels_without_selection(biodex_path):
    trial = read_c3d(biodex_path)
    assert len(trial.channels) == 21
    assert "analog_angular_velocity_1" in trial.channels


# --- bad input -----------------------------------------------------------------------------------


def write_c3d(path, signals, labels, units, rate=1000.0):
    c3d = ezc3d.c3d()
    c3d["parameters"]["POINT"]["RATE"]["value"] = [100.0]
    c3d["parameters"]["POINT"]["LABELS"]["value"] = ()
    c3d["parameters"]["ANALOG"]["RATE"]["value"] = [rate]
    c3d["parameters"]["ANALOG"]["LABELS"]["value"] = tuple(labels)
    c3d["parameters"]["ANALOG"]["UNITS"]["value"] = tuple(units)
    c3d["data"]["analogs"] = np.asarray(signals, dtype=float)[None]
    c3d["data"]["points"] = np.zeros((4, 0, np.shape(signals)[1] // int(rate / 100)))
    c3d.write(str(path))
    return path


def assert_error(path, match, **kwargs):
    with pytest.raises(RecordingError, match=match) as info:
        read_c3d(path, **kwargs)
    assert path.name in str(info.value)
    return str(info.value)


def test_synthetic_round_trip(tmp_path):
    angle = np.linspace(0, 40, 200)
    signals = [angle, np.full(200, 2.0)]
    path = write_c3d(tmp_path / "ok.c3d", signals, ["Knee Angle", "Torque"], ["deg", "N.m"])
    trial = read_c3d(path, angle_channel="Knee Angle", torque_channel="Torque")
    np.testing.assert_allclose(trial["angle"], angle * DEG, rtol=1e-6)  # float32 storage
    np.testing.assert_allclose(trial["torque"], 2.0)


def test_empty_file(tmp_path):
    path = tmp_path / "e.c3d"
    path.write_bytes(b"")
    assert_error(path, "empty file")


def test_corrupt_file(tmp_path):
    path = tmp_path / "r.c3d"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    assert_error(path, "readable C3D")


def test_truncated_file(tmp_path, biodex_path):
    path = tmp_path / "cut.c3d"
    path.write_bytes(biodex_path.read_bytes()[:1_000_000])
    message = assert_error(path, "truncated")
    assert "17390" in message


def test_missing_channel(tmp_path, biodex_path):
    path = tmp_path / "5-20a.c3d"
    path.write_bytes(biodex_path.read_bytes())
    message = assert_error(path, "no such channel", angle_channel="KneeAngle")
    assert "KneeAngle" in message and "Angle.1" in message


def test_nan_gap(tmp_path):
    torque = np.full(200, 3.0)
    torque[50:55] = np.nan
    signals = [np.linspace(0, 40, 200), torque]
    path = write_c3d(tmp_path / "gap.c3d", signals, ["Angle", "Torque"], ["deg", "N m"])
    message = assert_error(path, "finite values", angle_channel="Angle", torque_channel="Torque")
    assert "`Torque`" in message and "t = 0.05 to 0.054 s (5 samples)" in message


def test_degrees_that_look_like_radians(tmp_path):
    path = write_c3d(tmp_path / "rad.c3d", [np.linspace(-1.5, 0.5, 200)], ["Angle"], ["deg"])
    assert_error(path, "looks like radians", angle_channel="Angle")


def test_wrong_or_missing_unit(tmp_path):
    signals = [np.linspace(0, 40, 200), np.ones(200)]
    path = write_c3d(tmp_path / "mm.c3d", signals, ["Angle", "Trigger"], ["mm", ""])
    message = assert_error(path, "angle unit", angle_channel="Angle")
    assert "mm" in message
    assert_error(path, "known unit", torque_channel="Trigger")
    scales = {"Trigger": (10.0, "N m")}
    trial = read_c3d(path, torque_channel="Trigger", scales=scales, keep_other_channels=False)
    np.testing.assert_allclose(trial["torque"], 10.0)


def test_an_ezc3d_crash_or_hang_is_a_clear_error(tmp_path, monkeypatch, helper_script):
    # ezc3d segfaults or loops on some damaged parameter sections (found by tests/io/test_fuzz.py);
    # the reader runs it in a helper process, so the caller gets one RecordingError line
    from myoreflex.io import c3d as c3d_module

    path = write_c3d(tmp_path / "ok.c3d", [np.linspace(0, 40, 200)], ["Angle"], ["deg"])
    helper_script("import os, signal, sys; sys.stdin.buffer.read(9); os.kill(os.getpid(), signal.SIGSEGV)")
    message = assert_error(path, "readable C3D")
    assert "ezc3d crashed (signal 11)" in message and "corrupt" in message
    helper_script("import time; time.sleep(30)")
    monkeypatch.setattr(c3d_module, "READ_TIMEOUT_S", 0.5)
    assert "ezc3d still reading after 1 s" in assert_error(path, "readable C3D")
    helper_script("import sys; sys.exit(3)")
    assert "ezc3d failed (exit 3)" in assert_error(path, "readable C3D")
    monkeypatch.undo()  # the real helper script again, started afresh by the next read
    trial = read_c3d(path, angle_channel="Angle")
    np.testing.assert_allclose(trial["angle"], np.linspace(0, 40, 200) * DEG, rtol=1e-6)
