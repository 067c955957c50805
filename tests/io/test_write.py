"""write_trial (io/writers.py): what is written is read back by the readers, and nothing is half-written.

Round trips: CSV bit for bit (shortest exact float text, SI suffixes); ``.mot`` within the rounding
of deg <-> rad (a few ulp: 1e-12 relative); Parquet bit for bit with metadata and status.
"""

import dataclasses
import math

import numpy as np
import pytest

from myoreflex.errors import OutputError, RecordingError, Status
from myoreflex.io import read_trial, writers
from myoreflex.io.writers import csv_read_options, mot_read_options, read_parquet, write_trial
from myoreflex.trial import Channel, Trial


def _knee(n=501, seed=0):
    """A knee trial with values whose decimal text is long (random floats, not round numbers)."""
    rng = np.random.default_rng(seed)
    time = np.cumsum(rng.uniform(0.9e-3, 1.1e-3, n))
    angle = 0.9 * np.sin(2 * np.pi * time) + 1e-3 * rng.standard_normal(n) + 0.7
    channels = {
        "angle": Channel(angle, "rad"),
        "angular_velocity": Channel(np.gradient(angle, time), "rad/s"),
        "torque": Channel(12.0 * rng.standard_normal(n), "N m"),
        "emg_rf": Channel(1e-4 * rng.standard_normal(n), "V"),
        "ia_rf": Channel(rng.uniform(0.0, 200.0, n), "pps"),
        "activation_rf": Channel(rng.uniform(0.0, 1.0, n), "1"),
    }
    return Trial(time, channels, {"source": "sim", "joint": "knee", "side": "right", "subject": "s01"})


def _same_bits(a, b):
    return np.asarray(a).tobytes() == np.asarray(b).tobytes()


# --- CSV ---------------------------------------------------------------------------------------------


def test_csv_round_trip_is_exact_bit_for_bit(tmp_path):
    trial = _knee()
    path = write_trial(trial, tmp_path / "knee.csv")
    header = path.read_text().splitlines()[1]
    assert header == "time_s,knee_angle_r_rad,angular_velocity_rad_s,torque_Nm,emg_rf_V,ia_rf_pps,activation_rf_1"
    back = read_trial(path)
    assert _same_bits(back.time, trial.time)
    assert list(back.channels) == list(trial.channels)
    for name, channel in trial.channels.items():
        assert back.unit(name) == channel.unit, name
        assert _same_bits(back[name], channel.values), name
    assert (back.joint, back.side) == ("knee", "right")


def test_csv_round_trip_with_a_second_angle_channel_names_the_option(tmp_path):
    trial = _knee().with_channels(hip_angle=Channel(np.full(501, 1.2), "rad"))
    path = write_trial(trial, tmp_path / "two_angles.csv")
    assert "angle_channel='knee_angle_r_rad'" in path.read_text().splitlines()[0]
    back = read_trial(path, **csv_read_options(trial))
    assert _same_bits(back["hip_angle"], trial["hip_angle"]) and _same_bits(back["angle"], trial["angle"])


def test_csv_refuses_what_the_reader_would_read_under_another_name_or_unit(tmp_path):
    t = np.linspace(0.0, 1.0, 11)
    cases = [
        ("angle", "deg", Trial(t, {"angle": Channel(t, "deg")})),  # the reader would give rad
        ("Angle", "lower-case", Trial(t, {"Angle": Channel(t, "rad")})),
        ("hip_angle", "read as `angle`", Trial(t, {"hip_angle": Channel(t, "rad")})),
        ("time", "not `time`", Trial(t, {"time": Channel(t, "s")})),
    ]
    for channel, why, trial in cases:
        with pytest.raises(RecordingError, match=rf"`bad\.csv`, channel `{channel}`: expected .*{why}"):
            write_trial(trial, tmp_path / "bad.csv")
    assert not list(tmp_path.iterdir())


# --- OpenSim .mot ---------------------------------------------------------------------------------


def test_mot_is_opensim_storage_in_degrees_with_opensims_knee_sign(tmp_path):
    trial = _knee()
    path = write_trial(trial, tmp_path / "knee_ik.mot", channels=["angle", "angular_velocity", "torque", "emg_rf"])
    lines = path.read_text().splitlines()
    end = lines.index("endheader")
    assert lines[1:5] == ["version=1", "nRows=501", "nColumns=5", "inDegrees=yes"]
    assert lines[end + 1].split("\t") == ["time", "knee_angle_r", "knee_angle_r_speed", "knee_angle_r_moment", "rf"]
    first = [float(x) for x in lines[end + 2].split("\t")]
    assert first[1] == pytest.approx(-math.degrees(trial["angle"][0]), rel=1e-14)  # flexion negative, in deg


def test_mot_round_trip_gives_the_same_angle_torque_and_emg(tmp_path):
    trial = _knee().window(0.0, 10.0)
    trial = dataclasses.replace(
        trial, channels={k: trial.channel(k) for k in ("angle", "angular_velocity", "torque", "emg_rf")})
    path = write_trial(trial, tmp_path / "knee_ik.mot")
    back = read_trial(path, angle_channel="knee_angle_r", angle_sign=-1, emg_columns=["rf"])
    assert _same_bits(back.time, trial.time)
    # deg -> rad: x / DEG * DEG is x within an ulp or two
    np.testing.assert_allclose(back["angle"], trial["angle"], rtol=1e-14, atol=0)
    assert back.unit("angular_velocity") == "rad/s"
    np.testing.assert_allclose(back["angular_velocity"], trial["angular_velocity"], rtol=1e-14, atol=1e-300)
    assert _same_bits(back["torque"], trial["torque"]) and _same_bits(back["emg_rf"], trial["emg_rf"])
    assert back.side == "right" and back.joint == "knee"


def test_mot_elbow_has_opensims_flexion_angle_and_reads_back_with_the_offset(tmp_path):
    t = np.linspace(0.0, 1.0, 101)
    angle = np.radians(80.0 + 70.0 * t)  # myoreflex elbow: 180 deg straight, extension positive
    trial = Trial(t, {"angle": Channel(angle, "rad")}, {"joint": "elbow", "side": "left"})
    path = write_trial(trial, tmp_path / "elbow.mot")
    lines = path.read_text().splitlines()
    assert float(lines[-1].split("\t")[1]) == pytest.approx(30.0)  # elbow_flex_l = 180 - 150 deg
    back = read_trial(path, **mot_read_options(trial))
    np.testing.assert_allclose(back["angle"], angle, rtol=1e-13)


def test_mot_refuses_a_channel_it_cannot_carry_and_a_trial_without_joint(tmp_path):
    with pytest.raises(RecordingError, match=r"channel `ia_rf`: expected channels a \.mot carries"):
        write_trial(_knee(), tmp_path / "knee.mot")
    no_joint = Trial(np.arange(3.0), {"angle": Channel(np.zeros(3), "rad")})
    with pytest.raises(RecordingError, match="joint"):
        write_trial(no_joint, tmp_path / "knee.mot")
    assert not list(tmp_path.iterdir())


# --- Parquet ----------------------------------------------------------------------------------------


def test_parquet_round_trip_is_exact_with_units_metadata_and_status(tmp_path):
    pyarrow_parquet = pytest.importorskip("pyarrow.parquet")
    trial = dataclasses.replace(_knee().with_channels(Odd_Name=Channel(np.arange(501.0), "deg")),
                                status=Status.NONFINITE)
    path = write_trial(trial, tmp_path / "knee.parquet")
    schema = pyarrow_parquet.read_schema(path)
    assert schema.field("torque").metadata == {b"unit": b"N m"}
    back = read_parquet(path)
    assert _same_bits(back.time, trial.time) and list(back.channels) == list(trial.channels)
    for name, channel in trial.channels.items():
        assert back.unit(name) == channel.unit and _same_bits(back[name], channel.values), name
    assert back.status is Status.NONFINITE and back.subject == "s01" and back.format == "parquet"
    assert back.source == "knee.parquet"


# --- the verb: refusals and atomic writes -----------------------------------------------------------


def test_an_unknown_suffix_is_refused_naming_the_file_and_the_suffixes(tmp_path):
    with pytest.raises(OutputError, match=r"trial `knee\.xlsx`: expected an extension among \.csv, \.mot, "
                                          r"\.parquet; got '\.xlsx'"):
        write_trial(_knee(), tmp_path / "knee.xlsx")
    with pytest.raises(RecordingError, match="no such channel"):
        write_trial(_knee(), tmp_path / "knee.csv", channels=["angel"])


def test_the_trials_own_source_file_is_not_overwritten(tmp_path):
    path = write_trial(_knee(), tmp_path / "knee.csv")
    trial = read_trial(path)
    with pytest.raises(OutputError, match="a file other than the inputs"):
        write_trial(trial, path)


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "knee.csv"
    path.write_text("old contents\n")
    monkeypatch.setattr(writers, "_CHUNK_ROWS", 100)  # several blocks, so the failure is midway
    calls = []

    def failing_rows(time, columns, delimiter):
        for k, block in enumerate(original(time, columns, delimiter)):
            calls.append(k)
            if k == 2:
                raise KeyboardInterrupt  # as a Ctrl-C would, after two blocks are on disk
            yield block

    original = writers._text_rows
    monkeypatch.setattr(writers, "_text_rows", failing_rows)
    with pytest.raises(KeyboardInterrupt):
        write_trial(_knee(), path)
    assert calls == [0, 1, 2]
    assert path.read_text() == "old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["knee.csv"]
