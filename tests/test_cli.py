"""The command line: JSON contracts and one-line errors with exit code 2 for bad input."""

import json

import pytest
from typer.testing import CliRunner

from myoreflex.cli import app

runner = CliRunner()


def test_simulate_pendulum_json_contract():
    result = runner.invoke(app, ["simulate", "pendulum", "--condition", "stroke", "--severity", "0.5", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["condition"] == "stroke" and out["severity"] == 0.5
    assert set(out["metrics"]) >= {"r1", "r2n", "first_swing_excursion_deg", "plateau_deg", "n_oscillations",
                                   "peak_velocity_deg_s", "time_to_peak_velocity_s", "period_s"}
    assert 0.5 < out["metrics"]["r1"] < 2.0


def test_simulate_stretch_json_contract_and_plot(tmp_path):
    figure = tmp_path / "stretch.png"
    result = runner.invoke(app, ["simulate", "stretch", "--joint", "elbow", "--velocity-deg-s", "5",
                                 "--velocity-deg-s", "236", "--condition", "stroke", "--severity", "0.7",
                                 "--json", "--plot", str(figure)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["joint"] == "elbow" and [t["velocity_deg_s"] for t in out["trials"]] == [5.0, 236.0]
    for row in out["trials"]:
        assert set(row) >= {"velocity_deg_s", "peak_torque_nm", "peak_emg", "emg_onset_angle_deg"}
    assert out["trials"][1]["peak_torque_nm"] > out["trials"][0]["peak_torque_nm"]
    assert figure.stat().st_size > 10_000


@pytest.mark.parametrize(
    "args,flag,given",
    [
        (["simulate", "pendulum", "--condition", "flu"], "--condition", "flu"),
        (["simulate", "pendulum", "--severity", "1.5"], "--severity", "1.5"),
        (["simulate", "pendulum", "--severity", "-0.1"], "--severity", "-0.1"),
        (["simulate", "stretch", "--joint", "hip"], "--joint", "hip"),
        (["simulate", "stretch", "--velocity-deg-s", "0"], "--velocity-deg-s", "0"),
        (["simulate", "stretch", "--velocity-deg-s", "-5"], "--velocity-deg-s", "-5"),
    ],
)
def test_bad_input_gets_one_line_naming_flag_allowed_values_and_given(args, flag, given):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert flag in lines[0] and given in lines[0] and "expected" in lines[0]
    assert "Traceback" not in result.output


def test_plot_of_pendulum_is_written(tmp_path):
    figure = tmp_path / "pendulum.png"
    result = runner.invoke(app, ["simulate", "pendulum", "--plot", str(figure)])
    assert result.exit_code == 0, result.output
    assert "not a medical device" in result.stdout
    assert figure.stat().st_size > 10_000
