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


# ---------------------------------------------------------------------------------------------
# Subjects: --age-years, --sex, --body-mass-kg, --height-m (issue 14 item 1)


def test_simulate_pendulum_for_a_body_and_for_an_age_and_sex():
    by_body = runner.invoke(app, ["simulate", "pendulum", "--body-mass-kg", "32", "--height-m", "1.38", "--json"])
    assert by_body.exit_code == 0, by_body.output
    out = json.loads(by_body.stdout)
    assert out["subject"] == {"age_years": None, "sex": None, "body_mass_kg": 32.0, "height_m": 1.38}
    by_age = runner.invoke(app, ["simulate", "pendulum", "--age-years", "10", "--sex", "female", "--json"])
    assert by_age.exit_code == 0, by_age.output
    subject = json.loads(by_age.stdout)["subject"]
    assert subject["age_years"] == 10.0 and subject["sex"] == "female"
    assert subject["height_m"] == pytest.approx(1.38, abs=0.005)  # CDC 2000 girls' median at 10 years
    adult = json.loads(runner.invoke(app, ["simulate", "pendulum", "--json"]).stdout)
    assert adult["subject"]["body_mass_kg"] == 75.0 and adult["subject"]["height_m"] == 1.75
    # a child's shorter, lighter leg swings faster than an adult's (pendulum period ~ sqrt(length))
    assert out["metrics"]["period_s"] < adult["metrics"]["period_s"]


def test_subject_options_reach_stretch_and_generated_protocol_commands():
    result = runner.invoke(app, ["simulate", "stretch", "--joint", "elbow", "--velocity-deg-s", "100",
                                 "--age-years", "6", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["subject"]["age_years"] == 6.0
    generated = runner.invoke(app, ["simulate", "manual-stretch", "--help"])
    assert generated.exit_code == 0
    for flag in ("--age-years", "--sex", "--body-mass-kg", "--height-m"):
        assert flag in generated.stdout


def test_params_lists_the_subjects_scaled_muscles():
    def value(args, path):
        result = runner.invoke(app, ["params", *args])
        assert result.exit_code == 0, result.output
        line = next(line for line in result.stdout.splitlines() if line.startswith(path + " "))
        return float(line.split()[1])

    adult = value([], "agonist.max_isometric_force")
    child = value(["--body-mass-kg", "32", "--height-m", "1.38"], "agonist.max_isometric_force")
    assert child == pytest.approx(adult * (32 / 75) ** (2 / 3), rel=1e-5)


@pytest.mark.parametrize(
    "args,flag,given",
    [
        (["simulate", "pendulum", "--age-years", "1"], "--age-years", "1"),
        (["simulate", "pendulum", "--sex", "girl"], "--sex", "girl"),
        (["simulate", "pendulum", "--body-mass-kg", "154000"], "--body-mass-kg", "154000"),
        (["simulate", "pendulum", "--height-m", "175"], "--height-m", "175"),
        (["simulate", "stretch", "--age-years", "200"], "--age-years", "200"),
        (["params", "--height-m", "0.1"], "--height-m", "0.1"),
    ],
)
def test_bad_subject_options_get_one_line_naming_the_flag(args, flag, given):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert flag in lines[0] and given in lines[0] and "expected" in lines[0]


def test_the_cli_spells_the_pendulum_contract_as_the_measure_does():
    from myoreflex.cli._common import PENDULUM_CONTRACT_KEYS
    from myoreflex.measures.pendulum import CONTRACT_KEYS

    assert PENDULUM_CONTRACT_KEYS == CONTRACT_KEYS
