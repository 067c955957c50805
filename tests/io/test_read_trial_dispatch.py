"""read_trial / read_trials: one entry point that picks the reader by suffix, one return type each."""

import pytest

from myoreflex.errors import ParameterError, RecordingError
from myoreflex.io import READERS, read_trial, read_trials
from myoreflex.trial import Trial

IPSA_MAT = "kuleuven-cp-ipsa-pendulum/Data/Data_CP1/IPSA/CP4_T0_MEH_L.mat"


def test_dispatch_on_suffix(data_dir):
    csv = read_trial(data_dir / "kuleuven-pendulum-tutorial" / "DataPendulum.csv")
    assert isinstance(csv, Trial) and csv.format == "csv"
    mot = read_trial(
        data_dir / "kuleuven-cp-ipsa-pendulum/Data/Data_CP2/IK/CP16_T0_110_IK.mot",
        angle_channel="knee_angle_r",
    )
    assert mot.format == "opensim" and "angle" in mot and mot.side == "right"


def test_read_trials_always_gives_a_list(data_dir):
    (csv,) = read_trials(data_dir / "kuleuven-pendulum-tutorial" / "DataPendulum.csv")
    assert csv.format == "csv"
    segments = read_trials(data_dir / IPSA_MAT)
    assert len(segments) == 6 and [t.segment for t in segments] == [1, 2, 3, 4, 5, 6]


def test_a_multi_segment_file_is_not_one_trial(data_dir):
    with pytest.raises(RecordingError, match=r"CP4_T0_MEH_L\.mat.*6 segments.*read_trials"):
        read_trial(data_dir / IPSA_MAT)


def test_dispatch_c3d(data_dir):
    pytest.importorskip("ezc3d")
    trial = read_trial(data_dir / "kuleuven-biodex-srs-c3d/data/5-20a.c3d", keep_other_channels=False)
    assert trial.format == "c3d"


def test_every_angle_reader_takes_angle_channel():
    # One name across the readers for "which channel is the angle" (the IPSA struct has one angle).
    for suffix in (".csv", ".mot", ".c3d"):
        assert "angle_channel" in READERS[suffix].__kwdefaults__, suffix


def test_an_option_the_reader_does_not_take_is_named(tmp_path):
    path = tmp_path / "trial.csv"
    path.write_text("time_s,knee_angle_deg\n0,10\n0.01,20\n")
    with pytest.raises(ParameterError, match=r"trial\.csv.*read_csv.*lever_arm_m"):
        read_trial(path, lever_arm_m=0.3)


def test_unknown_suffix(tmp_path):
    path = tmp_path / "trial.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(RecordingError, match="trial.xlsx.*suffix"):
        read_trial(path)
