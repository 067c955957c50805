"""Trial: the checks made when one is built, typed standard metadata, and the copies it makes."""

import numpy as np
import pytest

from myoreflex.errors import RecordingError
from myoreflex.trial import STANDARD_METADATA, Channel, MetadataKey, Trial

T = np.linspace(0.0, 1.0, 11)


def _trial(**metadata):
    channels = {"angle": Channel(0.1 * T, "rad"), "torque": Channel(2.0 * T, "N m")}
    return Trial(T, channels, {"source": "knee_07.csv", **metadata})


# --- construction errors -------------------------------------------------------------------------


def test_time_must_strictly_increase():
    time = T.copy()
    time[4] = time[3]
    message = r"knee_07\.csv`, time: expected strictly increasing values; got 0\.3 then 0\.3"
    with pytest.raises(RecordingError, match=message):
        Trial(time, {}, {"source": "knee_07.csv"})


def test_time_must_be_finite_and_have_two_samples():
    time = T.copy()
    time[2] = np.nan
    with pytest.raises(RecordingError, match="time: expected finite values"):
        Trial(time, {})
    with pytest.raises(RecordingError, match="at least 2 samples"):
        Trial(np.array([0.0]), {})


def test_a_channel_must_have_one_value_per_time():
    with pytest.raises(RecordingError, match=r"channel `torque`: expected 11 samples; got \(10,\)"):
        Trial(T, {"torque": Channel(np.zeros(10), "N m")}, {"source": "knee_07.csv"})


def test_a_channel_unit_must_be_a_string():
    with pytest.raises(RecordingError, match="channel `angle`: expected a unit"):
        Trial(T, {"angle": Channel(T, None)})


@pytest.mark.parametrize(
    "key,value,expected",
    [
        ("rate_hz", "100", "a finite number"),
        ("rate_hz", np.nan, "a finite number"),
        ("stretch_onset_s", True, "a finite number"),
        ("joint", 3, "a string"),
        ("segment", 1.5, "an integer"),
        ("source", 7, "a string"),
    ],
)
def test_a_standard_metadata_key_of_the_wrong_type_is_named(key, value, expected):
    with pytest.raises(RecordingError, match=rf"metadata `{key}`: expected {expected}"):
        _trial(**{key: value})


def test_the_message_names_the_source():
    with pytest.raises(RecordingError, match=r"^`knee_07\.csv`, metadata `velocity_deg_s`"):
        _trial(velocity_deg_s="fast")


# --- typed metadata ------------------------------------------------------------------------------


def test_standard_keys_are_typed_attributes():
    trial = _trial(rate_hz=np.int64(100), segment=np.int64(3), joint="knee", stretch_onset_s=0.5,
                   condition="stroke")
    assert trial.rate_hz == 100.0 and type(trial.rate_hz) is float
    assert trial.segment == 3 and type(trial.segment) is int
    assert (trial.joint, trial.stretch_onset_s, trial.source) == ("knee", 0.5, "knee_07.csv")
    assert trial.metadata["rate_hz"] == 100.0  # stored converted
    assert trial.metadata["condition"] == "stroke"  # other keys are kept as given
    assert trial.side is None and trial.velocity_deg_s is None  # absent: None
    assert Trial(T, {}).source == "trial"  # the one key with a default
    assert _trial(lever_arm_m=None).lever_arm_m is None  # None means unknown


def test_the_standard_keys_are_declared_once_on_trial():
    assert {"source", "rate_hz", "joint", "side", "subject", "protocol", "stretch_onset_s", "velocity_deg_s",
            "dt_s"} <= set(STANDARD_METADATA)
    for name, key in STANDARD_METADATA.items():
        assert isinstance(key, MetadataKey) and key.name == name and key.kind in (str, float, int) and key.doc
        assert getattr(Trial, name) is key


def test_with_metadata_checks_again():
    trial = _trial()
    assert trial.with_metadata(joint="elbow").joint == "elbow"
    with pytest.raises(RecordingError, match="metadata `joint`"):
        trial.with_metadata(joint=["elbow"])


# --- channels and copies -------------------------------------------------------------------------


def test_channel_lookup_error_lists_the_channels():
    listed = r"`knee_07\.csv`, channel `emg_sol`: expected one of \['angle', 'torque'\]"
    with pytest.raises(RecordingError, match=listed):
        _trial().channel("emg_sol")
    with pytest.raises(RecordingError, match="no such channel"):
        _trial()["emg_sol"]


def test_units_and_membership():
    trial = _trial()
    assert trial.unit("angle") == "rad" and trial.unit("torque") == "N m"
    assert "angle" in trial and "force" not in trial
    np.testing.assert_array_equal(trial["torque"], 2.0 * T)


def test_window_keeps_the_samples_within_and_the_metadata():
    window = _trial(joint="knee").window(0.2, 0.5)
    np.testing.assert_allclose(window.time, [0.2, 0.3, 0.4, 0.5])
    np.testing.assert_allclose(window["angle"], [0.02, 0.03, 0.04, 0.05])
    assert window.unit("torque") == "N m" and window.joint == "knee"
    with pytest.raises(RecordingError, match="at least 2 samples"):
        _trial().window(0.21, 0.29)


def test_with_channels_adds_and_replaces_without_touching_the_original():
    trial = _trial()
    changed = trial.with_channels(torque=Channel(np.ones(11), "N m"), emg_sol=Channel(np.zeros(11), "V"))
    assert changed.emg_names() == ["sol"] and float(changed["torque"][0]) == 1.0
    assert "emg_sol" not in trial and float(trial["torque"][-1]) == 2.0
    with pytest.raises(RecordingError, match="expected 11 samples"):
        trial.with_channels(torque=Channel(np.ones(3), "N m"))


def test_a_trial_is_immutable():
    trial = _trial()
    with pytest.raises(TypeError):
        trial.metadata["joint"] = "elbow"
    with pytest.raises(TypeError):
        trial.channels["x"] = Channel(T, "1")
