"""Motor-unit measures: delta-F recovered from a simulated pool with a known hysteresis, the JSON
contract of `assess motor-units`, the pair criteria, the reader (CSV and DEMUSE .mat) and its refusals,
and the figure."""

import json

import numpy as np
import pytest
from scipy.io import savemat

from myoreflex.errors import ParameterError, RecordingError
from myoreflex.io.motor_units import read_discharge_times
from myoreflex.measures.motor_units import DischargeTimes, measure, plot_motor_units
from myoreflex.physiology.motor_units import MotorUnitPoolParams, hysteretic_firing_rates, spike_trains

POOL = MotorUnitPoolParams()


def _triangle(pic, seed, up_s=10.0, peak=22.0, dt=1e-3):
    """A 10 s up / 10 s down triangular contraction of a pool with PIC offset ``pic``: true delta-F is
    g_e * pic = pic pps (physiology.motor_units.hysteretic_firing_rates). Every 4th of the 80 lowest
    units is "decomposed", as HD-EMG finds a few tens of low-threshold units."""
    t = np.arange(0.0, 2 * up_s, dt)
    excitation = peak * (1 - np.abs(t - up_s) / up_s)
    trains = spike_trains(hysteretic_firing_rates(excitation, POOL, pic), dt, np.random.default_rng(seed), POOL)
    return DischargeTimes.from_mapping({f"MU{i + 1}": trains[i] for i in range(0, 80, 4)}, source=f"sim pic={pic}",
                                       reference_time=t, reference=excitation, reference_unit="1")


@pytest.mark.parametrize("pic,seed", [(0.0, 0), (2.0, 1), (4.0, 2)])
def test_delta_f_of_a_simulated_pool_is_recovered_within_1_pps(pic, seed):
    result = measure(_triangle(pic, seed))
    assert result.delta_f_pps.n_pairs >= 20
    assert abs(result.delta_f_pps.mean - pic) < 1.0, result.delta_f_pps


def test_as_dict_keeps_the_cli_contract_and_is_plain_json():
    out = measure(_triangle(3.0, 0)).as_dict()
    assert json.loads(json.dumps(out, allow_nan=False)) == out
    assert {"file", "n_units", "delta_f_pps", "units"} <= set(out) and "traces" not in out
    assert {"mean", "sd", "n_pairs"} <= set(out["delta_f_pps"])
    first = out["units"][0]
    assert {"unit", "recruitment_s", "derecruitment_s"} <= set(first)
    assert first["recruitment_threshold"] > first["derecruitment_threshold"]  # hysteresis in excitation
    assert out["n_units"] == 20 and out["file"] == "sim pic=3.0"


def test_pairs_failing_a_criterion_are_kept_with_the_reason():
    result = measure(_triangle(3.0, 0), min_recruitment_difference_s=60.0)
    assert result.delta_f_pps.n_pairs == 0 and result.delta_f_pps.mean is None
    assert all(not pair.accepted and pair.reason for pair in result.pairs)
    assert all("after the control unit" in pair.reason for pair in result.pairs
               if not pair.reason.startswith("control unit derecruited"))
    assert "no unit pair meets the delta-F criteria" in result.warnings
    with pytest.raises(ParameterError, match="min_rate_r2"):
        measure(_triangle(3.0, 0), min_rate_r2=1.5)
    with pytest.raises(ParameterError, match="hanning, polynomial"):
        measure(_triangle(3.0, 0), smoothing="spline")


def test_few_discharges_and_one_unit_give_warnings_not_numbers():
    result = measure({"a": [0.0, 0.1, 0.2], "b": np.arange(0.0, 2.0, 0.1)})
    assert result.delta_f_pps.mean is None and result.units[0].mean_rate_pps is not None
    assert any("3 discharges" in w for w in result.warnings)
    with pytest.raises(RecordingError, match="strictly increasing"):
        measure({"a": [0.0, 0.2, 0.1]})
    with pytest.raises(RecordingError, match="finite"):
        measure({"a": [0.0, np.nan]})
    with pytest.raises(RecordingError, match="at least one unit"):
        measure({})


def test_reader_csv_and_demuse_mat_give_the_same_times(tmp_path):
    times = {"1": np.array([0.5, 0.6, 0.7]), "2": np.array([1.0, 1.25])}
    csv = tmp_path / "units.csv"
    csv.write_text("unit,time_s\n" + "".join(f"{u},{t!r}\n" for u, ts in times.items() for t in ts[::-1].tolist()))
    read = read_discharge_times(csv)
    assert read.units == ("1", "2") and all(np.allclose(read.times[i], times[u]) for i, u in enumerate(times))
    mat = tmp_path / "demuse.mat"
    fsamp = 2048.0
    pulses = np.empty(2, dtype=object)
    pulses[0], pulses[1] = times["1"] * fsamp + 1, times["2"] * fsamp + 1  # 1-based samples
    savemat(mat, {"MUPulses": pulses, "fsamp": fsamp, "ref_signal": np.linspace(0, 1, 4096)})
    read = read_discharge_times(mat)
    assert read.units == ("1", "2") and np.allclose(read.times[1], times["2"])
    assert read.reference.size == 4096 and read.reference_time[-1] == pytest.approx(4095 / fsamp)


@pytest.mark.parametrize("text,match", [("unit,when\n1,0.1\n", "time_s"), ("unit,time_s\n1,abc\n", "line 2"),
                                        ("unit,time_s\n1,0.1\n1,0.1\n", "repeated"),
                                        ("unit,time_s\n1,nan\n", "finite")])
def test_reader_refuses_bad_csv_naming_the_file(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(RecordingError, match=match) as info:
        read_discharge_times(path)
    assert "bad.csv" in str(info.value)


def test_reader_refuses_a_mat_without_pulses_and_an_unknown_suffix(tmp_path):
    savemat(tmp_path / "x.mat", {"other": 1.0})
    with pytest.raises(RecordingError, match="MUPulses"):
        read_discharge_times(tmp_path / "x.mat")
    (tmp_path / "x.txt").write_text("1")
    with pytest.raises(RecordingError, match="csv"):
        read_discharge_times(tmp_path / "x.txt")


def test_figure_has_raster_rates_and_delta_f():
    fig = plot_motor_units(measure(_triangle(3.0, 0)))
    raster, rates = fig.axes[:2]
    assert "delta-F" in rates.get_title() and rates.get_ylabel() == "discharge rate (pps)"
    assert len(raster.collections) == 20
