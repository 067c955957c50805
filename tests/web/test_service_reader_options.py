"""The app's reader options are checked once, by the reader's own check (myoreflex.io.read_trials),
where the recording is read: an option the file's reader does not take is a ParameterError (an HTTP
400) naming it and the options that reader takes; the measures are those of the command line."""

import shutil

import numpy as np
import pytest

from myoreflex import datasets
from myoreflex.errors import ParameterError
from myoreflex.io import read_pendulum, write_trial
from myoreflex.trial import Channel, Trial
from myoreflex.web import service


@pytest.fixture
def mot(tmp_path, pendulum_bytes):
    path = tmp_path / pendulum_bytes[0]
    shutil.copy(datasets.path("cp1-right-pendulum"), path)
    return path


def test_an_option_the_reader_does_not_take_is_refused_naming_it(mot, r1_shared):
    # An OpenSim .mot has no time column to choose: refused as read_trials refuses it, with the options
    # read_opensim takes; the same file with the options it takes is measured as on the command line.
    with pytest.raises(ParameterError, match=r"options for `.*\.mot` \(read_opensim\).*angle_channel.*got time_column"):
        service.assess(mot, name=mot.name, coordinate="knee_angle_r", time_column="t")
    found = service.assess(mot, name=mot.name, coordinate="knee_angle_r", angle_sign=-1.0)
    assert found.data["metrics"]["r1"] == r1_shared
    assert found.options == {"angle_channel": "knee_angle_r", "angle_sign": -1.0}


def test_a_stretch_file_refuses_a_coordinate_in_either_test(tmp_path):
    path = tmp_path / "knee.mat"
    shutil.copy(datasets.path("cp1-right-knee-stretches"), path)
    for test in service.TESTS:
        with pytest.raises(ParameterError, match=r"`knee\.mat` \(read_ipsa\).*got angle_channel"):
            service.assess(path, name=path.name, test=test, coordinate="knee_angle_r")


def test_a_pendulum_angle_sign_applies_to_a_format_without_one_as_on_the_command_line(tmp_path):
    # Parquet's reader takes no angle_sign; read_pendulum turns the angle itself (as `assess pendulum`
    # does), so the app measures the file the command line measures instead of refusing the option.
    pytest.importorskip("pyarrow")
    t = np.arange(0.0, 10.0, 0.01)  # released 70 deg from rest, damped at 1 Hz, flexion negative
    q = -np.radians(70.0) * (1.0 - np.exp(-0.6 * t) * np.cos(2.0 * np.pi * t))
    path = write_trial(Trial(t, {"angle": Channel(q, "rad")}, {"source": "swing.parquet"}), tmp_path / "swing.parquet")
    found = service.assess(path, name=path.name, angle_sign=-1.0)
    trial, sign = read_pendulum(path, angle_sign=-1.0)
    assert sign["angle_sign"] == -1.0 and found.data["angle_sign"] == -1.0
    assert np.array_equal(found.trials[0]["angle"], trial["angle"])
    assert found.data["metrics"]["plateau_deg"] == pytest.approx(70.0, abs=0.5)  # flexion positive
