"""How a Trial shows itself and leaves Python: repr, the notebook table, pandas and xarray (trial.py)."""

import dataclasses

import numpy as np
import pytest

from myoreflex.errors import NotSupported
from myoreflex.trial import REPR_MAX_CHARS, Channel, Trial


def _long_trial(n_samples=200_000, n_channels=200, n_keys=100):
    time = np.arange(n_samples) / 1000.0
    channels = {f"emg_muscle_with_a_long_name_{k}": Channel(np.zeros(n_samples), "V") for k in range(n_channels)}
    metadata = {f"key_{k}_" + "x" * 50: k for k in range(n_keys)}
    return Trial(time, channels, {"source": "s" * 1000 + ".csv", "rate_hz": 1000, **metadata})


def test_repr_is_one_short_line_whatever_the_trial():
    text = repr(_long_trial())
    assert len(text) < REPR_MAX_CHARS == 500 and "\n" not in text
    assert "199.999 s at 1000 Hz, 200000 samples" in text and "more" in text  # what was cut is said


def test_repr_names_duration_rate_channels_units_metadata_keys_and_status():
    t = np.linspace(0.0, 2.0, 201)
    trial = Trial(t, {"angle": Channel(0.5 * t, "rad"), "torque": Channel(t, "N m")},
                  {"source": "knee.csv", "rate_hz": 100, "joint": "knee"})
    assert repr(trial) == ("Trial('knee.csv': 2 s at 100 Hz, 201 samples; channels angle [rad], torque [N m]; "
                           "metadata source, rate_hz, joint; OK)")
    assert "0.005" not in repr(trial)  # values never


def test_repr_html_is_a_small_escaped_table():
    trial = _long_trial(n_samples=10)
    page = trial._repr_html_()
    assert page.startswith("<table>") and page.count("<tr>") == 1 + 30 + 1 + 1  # head, 30 channels, more, metadata
    assert "170 more channels" in page
    odd = Trial(np.arange(3.0), {"<b>": Channel(np.arange(3.0), "1")})
    assert "&lt;b&gt;" in odd._repr_html_() and "<b>" not in odd._repr_html_()


def test_to_dataframe_keeps_values_units_and_metadata():
    pandas = pytest.importorskip("pandas")
    t = np.linspace(0.0, 1.0, 11)
    trial = Trial(t, {"angle": Channel(np.sin(t), "rad"), "forces": Channel(np.ones((11, 2)), "N")},
                  {"joint": "knee"})
    frame = trial.to_dataframe()
    assert isinstance(frame, pandas.DataFrame) and frame.index.name == "time_s"
    assert list(frame.columns) == ["angle", "forces_0", "forces_1"]
    np.testing.assert_array_equal(frame["angle"].to_numpy(), trial["angle"])
    np.testing.assert_array_equal(frame.index.to_numpy(), t)
    assert frame.attrs["units"] == {"angle": "rad", "forces_0": "N", "forces_1": "N"}
    assert frame.attrs["metadata"] == {"joint": "knee"} and frame.attrs["status"] == "OK"


def test_to_xarray_has_a_time_coordinate_and_units_in_attrs():
    pytest.importorskip("xarray")
    t = np.linspace(0.0, 1.0, 11)
    trial = Trial(t, {"torque": Channel(2 * t, "N m")}, {"joint": "knee", "time_gaps": [(0.1, 0.2)]})
    data = trial.to_xarray()
    assert data["torque"].dims == ("time",) and data["torque"].attrs["units"] == "N m"
    np.testing.assert_array_equal(data["time"].values, t)
    assert data["time"].attrs["units"] == "s"
    assert data.attrs["joint"] == "knee" and "time_gaps" not in data.attrs  # only plain values as attrs


def test_a_missing_extra_is_named(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name.split(".")[0] in ("pandas", "xarray"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    monkeypatch.delitem(__import__("sys").modules, "pandas", raising=False)
    monkeypatch.delitem(__import__("sys").modules, "xarray", raising=False)
    trial = Trial(np.arange(3.0), {})
    with pytest.raises(NotSupported, match=r'pip install "myoreflex\[data\]"'):
        trial.to_dataframe()
    with pytest.raises(NotSupported, match=r'pip install "myoreflex\[data\]"'):
        trial.to_xarray()


def test_trial_stays_frozen_and_equal_by_value_api():
    trial = Trial(np.arange(3.0), {"angle": Channel(np.zeros(3), "rad")})
    with pytest.raises(dataclasses.FrozenInstanceError):
        trial.time = np.arange(4.0)
