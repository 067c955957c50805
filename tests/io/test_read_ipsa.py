"""read_ipsa: the four KU Leuven IPSA structs (30 segments), privacy, and the bad-input cases."""

from pathlib import Path

import numpy as np
import pytest
import scipy.io

from myoreflex.errors import RecordingError
from myoreflex.io import read_ipsa
from myoreflex.units import DEG

IPSA = Path("kuleuven-cp-ipsa-pendulum") / "Data" / "Data_CP1" / "IPSA"
# SOURCE.md: segments (low, high) and muscles per file
FILES = {
    "CP4_T0_MEH_L.mat": (3, 3, ["meh", "lah", "ref"], "knee", "left"),
    "CP4_T0_MEH_R.mat": (4, 4, ["meh", "lah", "ref"], "knee", "right"),
    "CP4_T0_PF_L.mat": (4, 4, ["medgas", "latgas", "sol", "tia"], "ankle", "left"),
    "CP4_T0_PF_R.mat": (4, 4, ["medgas", "latgas", "sol", "tia"], "ankle", "right"),
}


@pytest.fixture(scope="module")
def segments(data_dir):
    return {name: read_ipsa(data_dir / IPSA / name) for name in FILES}


def walk(value):
    """Every key and leaf of a nested metadata value, as strings."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from walk(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from walk(item)
    else:
        yield str(value)


def test_thirty_segments_with_their_labels(segments):
    assert sum(len(trials) for trials in segments.values()) == 30
    for name, (low, high, muscles, joint, side) in FILES.items():
        trials = segments[name]
        speeds = [t.metadata["stretch_speed"] for t in trials]
        assert speeds.count("low") == low and speeds.count("high") == high
        for position, trial in enumerate(trials, start=1):
            meta = trial.metadata
            assert meta["source"] == name and meta["segment"] == position
            assert meta["joint"] == joint and meta["side"] == side and meta["subject"] == "CP4_T0"
            assert meta["muscles"] == muscles
            assert meta["rate_hz"] == pytest.approx(200.0)
            expected = {"angle", "angular_velocity", "force", "torque"}
            expected |= {f"emg_{m}" for m in muscles} | {f"emgrms_{m}" for m in muscles}
            assert set(trial.channels) == expected
            assert trial.unit("angle") == "rad" and trial.unit("torque") == "N m"
            assert {trial.unit(f"emg_{m}") for m in muscles} == {"V"}
            assert sorted(trial.emg_names()) == sorted(muscles)


def test_no_identifying_pinfo_in_metadata(data_dir, segments):
    for name, trials in segments.items():
        raw = scipy.io.loadmat(data_dir / IPSA / name, squeeze_me=True, struct_as_record=False)["allsegments"]
        secrets = {str(raw[0].pinfo.birthday), str(raw[0].pinfo.date), str(raw[0].date)}
        secrets = {s for s in secrets if len(s) >= 6}
        assert secrets  # the files do hold a birth date and dates: the test would notice a leak
        for trial in trials:
            text = list(walk(dict(trial.metadata)))
            assert not any(secret in item for secret in secrets for item in text)
            keys = {k.lower() for k in walk({k: None for k in trial.metadata})}
            private = {"birthday", "birth_date", "name", "surname", "weight", "body_length", "date", "pinfo"}
            assert not keys & private


def test_units_and_sign_convention(segments):
    # SOURCE.md: knee about 60..115 deg (flexion), ankle about -55..+10 deg; high knee stretches
    # peak at 240-270 deg/s, high ankle stretches at 500-700 deg/s (towards extension / dorsiflexion).
    for name, trials in segments.items():
        joint = FILES[name][3]
        for trial in trials:
            peak = np.degrees(trial.metadata["peak_velocity"])
            direction = trial.metadata["stretch_direction"]
            assert direction == (-1.0 if joint == "knee" else 1.0)
            assert np.sign(peak) == direction
            if trial.metadata["stretch_speed"] == "high":
                assert (230 < abs(peak) < 280) if joint == "knee" else (490 < abs(peak) < 720)
            else:
                assert abs(peak) < 40
            if joint == "knee":
                assert 5 * DEG < trial["angle"].min() and trial["angle"].max() < 120 * DEG
            else:
                assert -60 * DEG < trial["angle"].min() and trial["angle"].max() < 30 * DEG
            # the examiner's torque pushes in the stretch direction at peak velocity
            i = np.argmax(np.abs(trial["angular_velocity"]))
            assert np.sign(trial["torque"][i]) == direction
            expected = direction * trial["force"] * trial.metadata["lever_arm_m"]
            np.testing.assert_allclose(trial["torque"], expected)


def test_lever_arms_from_pinfo(segments):
    # SOURCE.md: distance_loadcell_rear_to_knee 0.25-0.28 m, distance_loadcell_to_ankle 0.13-0.135 m
    arms = {name: {t.metadata["lever_arm_m"] for t in trials} for name, trials in segments.items()}
    assert arms == {
        "CP4_T0_MEH_L.mat": {0.28},
        "CP4_T0_MEH_R.mat": {0.25},
        "CP4_T0_PF_L.mat": {0.135},
        "CP4_T0_PF_R.mat": {0.13},
    }


def test_lab_onsets(data_dir, segments):
    path = data_dir / IPSA / "CP4_T0_PF_R.mat"
    raw = scipy.io.loadmat(path, squeeze_me=True, struct_as_record=False)["allsegments"]
    for trial, segment in zip(segments["CP4_T0_PF_R.mat"], raw):
        index = trial.metadata["lab_onset_index"]["sol"]
        if np.isnan(segment.onset3):
            assert index is None and trial.metadata["lab_onset_time"]["sol"] is None
            continue
        assert index == int(segment.onset3) - 1  # 1-based in the file, 0-based here
        assert trial.metadata["lab_onset_time"]["sol"] == trial.time[index]
        if trial.metadata["stretch_speed"] == "high":
            # SOURCE.md: right soleus onsets fall 5-45 ms before peak velocity
            lead = trial.metadata["time_of_peak_velocity"] - trial.metadata["lab_onset_time"]["sol"]
            assert 0.005 - 1e-9 <= lead <= 0.045 + 1e-9
    fast = [t for trials in segments.values() for t in trials if t.metadata["stretch_speed"] == "high"]
    assert all(any(v is not None for v in t.metadata["lab_onset_time"].values()) for t in fast)


# --- bad input -----------------------------------------------------------------------------------


def segment(n=300, **overrides):
    t = 10 + np.arange(n) / 200
    pos = np.linspace(-0.8, 0.2, n)
    fields = {
        "t": t,
        "tc": t - t[n // 2],
        "pos": pos,
        "vel": np.gradient(pos, t),
        "force": -np.linspace(5, 60, n),
        "emg1raw": np.zeros(n),
        "emg1rms": np.zeros(n),
        "muscles": np.array(["sol"], dtype=object),
        "onset1": 120.0,
        "meas_type": "high",
        "joint_name": "ankle_dorsiflex",
        "side_name": "RIGHT",
        "pinfo": {"distance_loadcell_to_ankle_right": 0.12, "birthday": "01-01-2000"},
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def save(tmp_path, contents, name="seg.mat"):
    path = tmp_path / name
    scipy.io.savemat(path, contents, long_field_names=True)
    return path


def assert_error(path, match):
    with pytest.raises(RecordingError, match=match) as info:
        read_ipsa(path)
    assert path.name in str(info.value)
    return str(info.value)


def test_synthetic_segment(tmp_path):
    (trial,) = read_ipsa(save(tmp_path, {"allsegments": segment()}))
    assert trial.metadata["lever_arm_m"] == 0.12 and trial.metadata["lab_onset_index"] == {"sol": 119}
    np.testing.assert_allclose(trial["torque"], np.linspace(5, 60, 300) * 0.12)
    assert "01-01-2000" not in repr(dict(trial.metadata))


def test_missing_lever_arm_gives_no_torque(tmp_path):
    pinfo = {"distance_loadcell_to_ankle_right": -9999.0}
    (trial,) = read_ipsa(save(tmp_path, {"allsegments": segment(pinfo=pinfo)}))
    assert "torque" not in trial and "no torque" in trial.metadata["lever_arm_note"]


def test_empty_file(tmp_path):
    path = tmp_path / "seg.mat"
    path.write_bytes(b"")
    assert_error(path, "empty file")


def test_truncated_file(tmp_path):
    good = save(tmp_path, {"allsegments": segment()}, name="good.mat")
    path = tmp_path / "seg.mat"
    path.write_bytes(good.read_bytes()[:700])
    assert_error(path, "readable MATLAB")


def test_corrupt_file(tmp_path):
    path = tmp_path / "seg.mat"
    path.write_bytes(b"MATLAB 5.0 MAT-file" + bytes(range(256)) * 4)
    assert_error(path, "readable MATLAB")


def test_not_an_ipsa_file(tmp_path):
    assert_error(save(tmp_path, {"data": np.zeros((3, 2))}), "allsegments")


def test_missing_field(tmp_path):
    message = assert_error(save(tmp_path, {"allsegments": segment(force=None)}), "missing")
    assert "allsegments(0).force" in message


def test_nan_gap(tmp_path):
    force = -np.linspace(5, 60, 300)
    force[100:110] = np.nan
    message = assert_error(save(tmp_path, {"allsegments": segment(force=force)}), "finite values")
    assert "allsegments(0).force" in message and "t = 10.5 to 10.545 s (10 samples)" in message


def test_time_not_increasing(tmp_path):
    t = 10 + np.arange(300) / 200
    t[200] = t[198]
    assert_error(save(tmp_path, {"allsegments": segment(t=t)}), "strictly increasing")


def test_onset_outside_the_segment(tmp_path):
    assert_error(save(tmp_path, {"allsegments": segment(onset1=301.0)}), "1-based sample index")


def test_a_crash_of_scipys_reader_is_a_clear_error(tmp_path, monkeypatch, helper_script):
    # scipy's MATLAB reader segfaulted on one damaged file in ~6,000 (a long run of tests/io/test_fuzz.py);
    # the bytes are parsed first in the helper process, where a crash is an error for this file only
    path = save(tmp_path, {"allsegments": segment()})
    helper_script("import os, signal, sys; sys.stdin.buffer.read(9); os.kill(os.getpid(), signal.SIGSEGV)")
    message = assert_error(path, "readable MATLAB")
    assert "scipy's MATLAB reader crashed (signal 11)" in message and "corrupt" in message
    monkeypatch.undo()
    (trial,) = read_ipsa(path)  # a fresh helper, the real script
    assert trial.metadata["lever_arm_m"] == 0.12


@pytest.mark.parametrize("layout", ["signature at 512", "header text only", "plain HDF5"])
def test_an_hdf5_mat_file_points_to_v7_and_h5py(tmp_path, layout):
    # MATLAB v7.3 files are HDF5 with a 512-byte user block (HDF5 File Format Spec 3.0, II.A)
    path = tmp_path / "v73.mat"
    if layout == "plain HDF5":
        h5py = pytest.importorskip("h5py")
        with h5py.File(path, "w") as store:
            store["allsegments"] = [1.0, 2.0]
    elif layout == "signature at 512":
        path.write_bytes(b"garbled text header".ljust(512, b"\0") + b"\x89HDF\r\n\x1a\n" + bytes(512))
    else:
        path.write_bytes(b"MATLAB 7.3 MAT-file, Platform: GLNXA64".ljust(128, b" ") + bytes(64))
    with pytest.raises(RecordingError) as info:
        read_ipsa(path)
    message = str(info.value)
    assert "v73.mat" in message and "HDF5" in message and "'-v7'" in message and "h5py" in message
    assert "corrupt" not in message
