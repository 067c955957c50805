"""read_trial: one entry point that picks the reader by suffix."""

import pytest

from myoreflex.errors import RecordingError
from myoreflex.io import read_trial


def test_dispatch_on_suffix(data_dir):
    csv = read_trial(data_dir / "kuleuven-pendulum-tutorial" / "DataPendulum.csv")
    assert csv.metadata["format"] == "csv"
    mot = read_trial(
        data_dir / "kuleuven-cp-ipsa-pendulum/Data/Data_CP2/IK/CP16_T0_110_IK.mot",
        coordinate="knee_angle_r",
    )
    assert mot.metadata["format"] == "opensim" and "angle" in mot
    segments = read_trial(data_dir / "kuleuven-cp-ipsa-pendulum/Data/Data_CP1/IPSA/CP4_T0_MEH_L.mat")
    assert isinstance(segments, list) and len(segments) == 6


def test_dispatch_c3d(data_dir):
    pytest.importorskip("ezc3d")
    trial = read_trial(data_dir / "kuleuven-biodex-srs-c3d/data/5-20a.c3d", keep_other_channels=False)
    assert trial.metadata["format"] == "c3d"


def test_unknown_suffix(tmp_path):
    path = tmp_path / "trial.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(RecordingError, match="trial.xlsx.*suffix"):
        read_trial(path)
