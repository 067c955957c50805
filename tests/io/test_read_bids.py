"""Motion-BIDS in and out (issue 15): a ``*_motion.tsv`` with its ``*_channels.tsv`` and
``*_motion.json``, written here as the BIDS specification's motion example lays them out (no
header row in the data file; name, component, type, tracked_point, units in the channels table;
SamplingFrequency and TrackingSystemName in the sidecar)."""

import json

import numpy as np
import pytest

from myoreflex.errors import ParameterError, RecordingError
from myoreflex.io import Conversion, read_bids_motion, read_trial, reader_for, write_bids_motion
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG

NAME = "sub-07_task-pendulum_tracksys-imu_run-1"
CHANNELS = [("knee_r_angle", "x", "JNTANG", "RightKnee", "deg"),
            ("shank_gyro_x", "x", "GYRO", "RightShank", "deg/s"),
            ("shank_acc_z", "z", "ACCEL", "RightShank", "m/s^2"),
            ("shank_quat_w", "quat_w", "ORNT", "RightShank", "n/a"),
            ("heel_z", "z", "POS", "RightHeel", "mm")]
DATA = np.array([[10.0, 100.0, 9.81, 1.0, 50.0],
                 [12.5, 250.0, 9.70, 0.99, 51.0],
                 [15.25, 275.0, 9.60, 0.98, 52.0],
                 [20.0, 200.0, 9.50, 0.97, 53.0]])


def write_triple(folder, channels=CHANNELS, data=DATA, sidecar=None, name=NAME):
    motion = folder / f"{name}_motion.tsv"
    motion.write_text("\n".join("\t".join("n/a" if np.isnan(v) else f"{v:g}" for v in row) for row in data) + "\n")
    rows = ["name\tcomponent\ttype\ttracked_point\tunits"] + ["\t".join(row) for row in channels]
    (folder / f"{name}_channels.tsv").write_text("\n".join(rows) + "\n")
    sidecar = {"SamplingFrequency": 100, "TrackingSystemName": "IMU right leg", "TaskName": "pendulum"} \
        if sidecar is None else sidecar
    (folder / f"{name}_motion.json").write_text(json.dumps(sidecar))
    return motion


def test_a_motion_bids_triple_is_read_in_si(tmp_path):
    trial = read_trial(write_triple(tmp_path))
    assert reader_for(tmp_path / f"{NAME}_motion.tsv") is read_bids_motion
    np.testing.assert_allclose(trial.time, [0.0, 0.01, 0.02, 0.03])
    np.testing.assert_allclose(trial["angle"], DATA[:, 0] * DEG)
    np.testing.assert_allclose(trial["shank_gyro_x"], DATA[:, 1] * DEG)
    np.testing.assert_allclose(trial["heel_z"], DATA[:, 4] * 1e-3)
    assert {name: trial.unit(name) for name in trial.channels} == {
        "angle": "rad", "shank_gyro_x": "rad/s", "shank_acc_z": "m/s^2", "shank_quat_w": "1", "heel_z": "m"}
    assert (trial.format, trial.subject, trial.rate_hz) == ("bids-motion", "07", 100.0)
    assert trial.metadata["task"] == "pendulum" and trial.metadata["tracking_system"] == "IMU right leg"
    assert trial.metadata["original_channels"]["angle"]["tracked_point"] == "RightKnee"


def test_a_latency_channel_gives_the_time(tmp_path):
    channels = [("t", "n/a", "LATENCY", "n/a", "s"), ("knee", "x", "JNTANG", "RightKnee", "deg")]
    data = np.array([[0.0, 10.0], [0.011, 12.0], [0.019, 15.0], [0.031, 20.0]])
    trial = read_bids_motion(write_triple(tmp_path, channels, data), angle_sign=-1)
    np.testing.assert_allclose(trial.time, data[:, 0])
    np.testing.assert_allclose(trial["angle"], -data[:, 1] * DEG)


def test_angle_channel_picks_among_joint_angles(tmp_path):
    channels = [("hip", "x", "JNTANG", "RightHip", "deg"), ("knee", "x", "JNTANG", "RightKnee", "deg")]
    data = np.array([[90.0, 10.0], [90.0, 12.0], [90.0, 15.0]])
    path = write_triple(tmp_path, channels, data)
    assert "angle" not in read_bids_motion(path).channels
    trial = read_bids_motion(path, angle_channel="knee", joint="knee", side="right")
    np.testing.assert_allclose(trial["angle"], data[:, 1] * DEG)
    np.testing.assert_allclose(trial["hip"], np.pi / 2)
    with pytest.raises(RecordingError, match=r"channel `ankle`.*hip, knee"):
        read_bids_motion(path, angle_channel="ankle")


def test_a_unit_given_by_conversion(tmp_path):
    channels = [("knee", "x", "JNTANG", "RightKnee", "V")]
    path = write_triple(tmp_path, channels, DATA[:, :1] / 10)
    with pytest.raises(RecordingError, match=r"channels\.tsv`, channel `knee`.*'V'"):
        read_bids_motion(path)
    trial = read_bids_motion(path, conversions={"knee": Conversion(scale=10.0, unit="deg")})
    np.testing.assert_allclose(trial["angle"], DATA[:, 0] * DEG)


@pytest.mark.parametrize("broken, message", [
    ("no channels", r"_motion\.tsv`: expected its channels table `.*_channels\.tsv` next to it"),
    ("no sidecar", r"_motion\.tsv`: expected its sidecar JSON `.*_motion\.json` next to it"),
    ("no rate", r"_motion\.json`, channel `SamplingFrequency`: expected a sampling frequency.*missing"),
    ("bad JSON", r"_motion\.json`: expected a JSON object.*invalid JSON"),
    ("missing column", r"_channels\.tsv`, channel `tracked_point`: expected the REQUIRED columns"),
    ("lower-case type", r"_channels\.tsv`, channel `knee_r_angle`: expected a type among.*'jntang'"),
    ("too few rows", r"_motion\.tsv`: expected 4 fields per row \(as in `.*_channels\.tsv`, one per channel row\)"),
    ("angle in mm", r"_channels\.tsv`, channel `knee_r_angle`: expected a unit of angle for a JNTANG channel"),
    ("text cell", r"_motion\.tsv`, channel `shank_acc_z`: expected a number in every cell; got 'abc' at line 1"),
])
def test_each_bad_triple_gets_one_clear_error(tmp_path, broken, message):
    path = write_triple(tmp_path)
    channels, sidecar = tmp_path / f"{NAME}_channels.tsv", tmp_path / f"{NAME}_motion.json"
    if broken == "no channels":
        channels.unlink()
    elif broken == "no sidecar":
        sidecar.unlink()
    elif broken == "no rate":
        sidecar.write_text(json.dumps({"TrackingSystemName": "imu"}))
    elif broken == "bad JSON":
        sidecar.write_text("{SamplingFrequency: 100")
    elif broken == "missing column":
        channels.write_text(channels.read_text().replace("\ttracked_point", ""))
    elif broken == "lower-case type":
        channels.write_text(channels.read_text().replace("JNTANG", "jntang"))
    elif broken == "too few rows":
        channels.write_text("\n".join(channels.read_text().splitlines()[:-1]) + "\n")
    elif broken == "angle in mm":
        channels.write_text(channels.read_text().replace("RightKnee\tdeg", "RightKnee\tmm"))
    elif broken == "text cell":
        path.write_text(path.read_text().replace("9.81", "abc"))
    with pytest.raises(RecordingError, match=message):
        read_bids_motion(path)


def test_missing_samples_are_a_gap_error(tmp_path):
    data = DATA.copy()
    data[2, 2] = np.nan
    with pytest.raises(RecordingError, match=r"shank_acc_z"):
        read_bids_motion(write_triple(tmp_path, data=data))


def test_write_then_read_gives_the_same_trial(tmp_path):
    time = np.array([0.0, 0.01, 0.02, 0.035])  # irregular: the LATENCY channel keeps it
    trial = Trial(time=time, channels={
        "angle": Channel(np.array([0.1, 0.2, 0.3, 0.25]), "rad"),
        "angular_velocity": Channel(np.array([1.0, 2.0, -1.0, 0.5]), "rad/s"),
        "torque": Channel(np.array([1.5, 2.5, 3.5, 4.5]), "N m"),
        "emg_soleus": Channel(np.array([1e-5, 2e-5, 3e-5, 4e-5]), "V"),
        "activation_soleus": Channel(np.array([0.1, 0.2, 0.3, 0.4]), "1"),
    }, metadata={"side": "right", "joint": "knee", "rate_hz": 100.0})
    motion, channels, sidecar = write_bids_motion(trial, tmp_path / "sub-01_task-pendulum_tracksys-sim_motion.tsv")
    rows = [line.split("\t") for line in channels.read_text().splitlines()]
    assert rows[0] == ["name", "component", "type", "tracked_point", "units"]
    assert rows[1] == ["time", "n/a", "LATENCY", "n/a", "s"] and rows[2] == ["angle", "n/a", "JNTANG", "right_knee", "deg"]
    meta = json.loads(sidecar.read_text())
    assert meta["TaskName"] == "pendulum" and meta["SamplingFrequency"] == 100.0 and meta["MotionChannelCount"] == 6
    assert "\t" in motion.read_text().splitlines()[0] and not motion.read_text().startswith("time")
    back = read_bids_motion(motion)
    np.testing.assert_allclose(back.time, time, rtol=0, atol=1e-15)
    for name in trial.channels:
        assert back.unit(name) == trial.unit(name)
        np.testing.assert_allclose(back[name], trial[name], rtol=1e-14)
    assert not list(tmp_path.glob("*.part"))


def test_write_refuses_a_name_that_is_not_motion_bids(tmp_path):
    trial = Trial(time=[0.0, 0.01], channels={"angle": Channel([0.1, 0.2], "rad")})
    with pytest.raises(ParameterError, match=r"_motion\.tsv"):
        write_bids_motion(trial, tmp_path / "trial.tsv")


# --- EMG-BIDS (edfio, the bids-emg extra) ---------------------------------------------------------


def write_emg(folder, suffix=".edf", table=True):
    edfio = pytest.importorskip("edfio")
    t = np.arange(2000) / 1000.0
    soleus = 200e-6 * np.sin(2 * np.pi * 50 * t)  # V
    signals = [edfio.EdfSignal(soleus * 1e6, 1000, label="SOL_R", physical_dimension="uV",
                               physical_range=(-500, 500)),
               edfio.EdfSignal(np.full(2000, 1.5), 1000, label="Trigger", physical_dimension="V",
                               physical_range=(-5, 5)),
               edfio.EdfSignal(np.zeros(2000), 1000, label="Temp", physical_dimension="degC",
                               physical_range=(-5, 5))]
    path = folder / f"sub-03_task-stretch_emg{suffix}"
    if suffix == ".edf":
        edfio.Edf(signals).write(path)
    else:
        edfio.Bdf([edfio.BdfSignal(s.data, 1000, label=s.label, physical_dimension=s.physical_dimension,
                                   physical_range=s.physical_range) for s in signals]).write(path)
    if table:
        (folder / "sub-03_task-stretch_channels.tsv").write_text(
            "name\ttype\tunits\nSOL_R\tEMG\tuV\nTrigger\tTRIG\tV\nTemp\tMISC\tdegC\n")
    return path, soleus


@pytest.mark.parametrize("suffix", [".edf", ".bdf"])
def test_an_emg_bids_file_is_read_in_volts(tmp_path, suffix):
    path, soleus = write_emg(tmp_path, suffix)
    trial = read_trial(path, muscles={"SOL_R": "soleus"})
    assert trial.unit("emg_soleus") == "V" and trial.rate_hz == 1000.0 and trial.subject == "03"
    # EDF stores 16-bit integers over +-500 uV: 1000 uV / 65535 steps, half a step at most
    np.testing.assert_allclose(trial["emg_soleus"], soleus, atol=500e-6 / 65535 * 1.01)
    np.testing.assert_allclose(trial["trigger"], 1.5, atol=1e-3)
    assert trial.metadata["skipped_columns"] == {"Temp": "a MISC channel without a known unit ('degC')"}


def test_an_emg_channel_must_be_in_volts(tmp_path):
    path, _ = write_emg(tmp_path)
    table = tmp_path / "sub-03_task-stretch_channels.tsv"
    table.write_text(table.read_text().replace("SOL_R\tEMG\tuV", "SOL_R\tEMG\tmm"))
    with pytest.raises(RecordingError, match=r"emg\.edf`, channel `SOL_R`: expected an EMG channel in V"):
        read_trial(path)


def test_an_unreadable_edf_is_one_clear_error(tmp_path):
    pytest.importorskip("edfio")
    path = tmp_path / "sub-03_task-stretch_emg.edf"
    path.write_bytes(b"0       garbage" + bytes(300))
    with pytest.raises(RecordingError, match=r"emg\.edf`: expected a readable EDF/BDF file"):
        read_trial(path)
