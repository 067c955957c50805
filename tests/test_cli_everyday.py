"""The everyday loop from the command line (issue 15): example recordings by name, the simulated
recording written out and read back, the angle sign found from the swing, European CSVs, the body
read from a file's metadata, the posterior kept by chain; and the commands around the model:
report, explain, triage, motor units."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from myoreflex import datasets
from myoreflex.cli import app
from myoreflex.io import read_trial

runner = CliRunner()


def _json(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _fitted_cp1(tmp_path, side):
    """``fit pendulum --json`` of CP1's ``side`` ("right" or "left") knee, written to tmp_path/fit.json."""
    fit_json = tmp_path / "fit.json"
    result = runner.invoke(app, ["fit", "pendulum", f"cp1-{side}-pendulum", "--coordinate",
                                 f"knee_angle_{side[0]}", "--body-from", "cp1-right-ankle-stretches", "--json"])
    assert result.exit_code == 0, result.output
    # Each identification warning once, in the JSON, not again on stderr as a Python warning with its source line.
    if side == "right":  # stiffness and baseline torque trade (README)
        assert json.loads(result.stdout)["warnings"]
    out = json.loads(result.stdout)
    assert out["subject_assumed"] == {}  # CP1's body is read from its IPSA file
    # The shank's inertia is held at the body's regression value; its 20 % error is propagated beside the
    # noise's interval (fit.pipeline.assumed_effects).
    assert out["assumptions"]["limb.inertia"]["prior_sd_log"] == 0.20
    for name, (low, high) in out["ci95"].items():
        if name in out["ci95_with_assumptions"]:
            wide_low, wide_high = out["ci95_with_assumptions"][name]
            assert wide_low <= low <= high <= wide_high, name
    assert "NotIdentifiedWarning" not in result.stderr
    fit_json.write_text(result.stdout)
    return fit_json


def test_datasets_are_listed_and_located():
    result = runner.invoke(app, ["datasets", "list"])
    assert result.exit_code == 0 and "cp1-right-pendulum" in result.stdout and "MIT" in result.stdout
    result = runner.invoke(app, ["datasets", "path", "cp1-right-pendulum"])
    assert result.stdout.strip() == str(datasets.path("cp1-right-pendulum"))
    result = runner.invoke(app, ["datasets", "path", "cp9"])
    assert result.exit_code == 1 and "cp1-right-pendulum" in result.output


def test_a_dataset_name_stands_for_its_file_and_the_sign_is_found_from_the_swing():
    out = _json(["assess", "pendulum", "cp1-right-pendulum", "--coordinate", "knee_angle_r", "--json"])
    # ANCHORS 4.3, CP1 right: R1 1.21, plateau (resting angle) 60.6 deg of flexion.
    assert out["metrics"]["r1"] == pytest.approx(1.21, abs=0.01)
    assert out["metrics"]["plateau_deg"] == pytest.approx(60.6, abs=0.2)
    assert out["angle_sign"] == -1.0 and "detected" in out["angle_sign_source"]
    given = _json(["assess", "pendulum", "cp1-right-pendulum", "--coordinate", "knee_angle_r", "--angle-sign", "-1",
                   "--json"])
    assert given["metrics"] == out["metrics"]
    wrong = runner.invoke(app, ["assess", "pendulum", "cp1-right-pendulum", "--coordinate", "knee_angle_r",
                                "--angle-sign", "1"])
    assert wrong.exit_code == 2 and "--angle-sign" in wrong.output


def test_simulated_pendulum_written_as_mot_and_csv_reads_back_to_the_same_measures(tmp_path):
    mot, csv = tmp_path / "sim.mot", tmp_path / "sim.csv"
    simulated = _json(["simulate", "pendulum", "--condition", "stroke", "--severity", "0.5", "--out", str(mot),
                       "--json"])
    assessed = _json(["assess", "pendulum", str(mot), "--coordinate", "knee_angle_r", "--json"])
    for key, value in simulated["metrics"].items():
        assert assessed["metrics"][key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
    header = mot.read_text().splitlines()
    assert "inDegrees=yes" in header and header[header.index("endheader") + 1].split("\t")[:2] == ["time", "knee_angle_r"]
    _json(["simulate", "pendulum", "--condition", "stroke", "--severity", "0.5", "--out", str(csv), "--json"])
    back = read_trial(csv)
    again = read_trial(tmp_path / "sim.mot", angle_channel="knee_angle_r", angle_sign=-1)
    np.testing.assert_allclose(again["angle"], back["angle"], rtol=1e-12, atol=1e-15)
    assert set(back.channels) >= {"angle", "angular_velocity", "torque", "emg_quadriceps", "ia_quadriceps"}


def test_out_is_checked_before_any_simulation(tmp_path):
    result = runner.invoke(app, ["simulate", "pendulum", "--out", str(tmp_path / "sim.xlsx")])
    assert result.exit_code == 2 and "--out" in result.output and ".mot" in result.output


def test_a_european_csv_reads_with_its_decimal_comma(tmp_path):
    trial = datasets.load("cp1-left-pendulum")
    path = tmp_path / "knee.csv"
    lines = ["time_s;knee_angle_deg"] + [f"{t:.3f};{np.degrees(a):.4f}".replace(".", ",")
                                        for t, a in zip(trial.time, trial["angle"])]
    path.write_text("\n".join(lines) + "\n")
    european = _json(["assess", "pendulum", str(path), "--decimal", ",", "--json"])
    original = _json(["assess", "pendulum", "cp1-left-pendulum", "--coordinate", "knee_angle_l", "--json"])
    assert european["metrics"]["r1"] == pytest.approx(original["metrics"]["r1"], abs=1e-3)
    bad = runner.invoke(app, ["assess", "pendulum", str(path), "--decimal", ";"])
    assert bad.exit_code == 2 and "--decimal" in bad.output


def test_the_body_comes_from_the_ipsa_metadata_never_both_ways():
    from myoreflex.subjects import subject_from_file

    body = subject_from_file(datasets.path("cp1-right-ankle-stretches"))
    out = _json(["simulate", "pendulum", "--body-from", "cp1-right-ankle-stretches", "--json"])
    assert (out["subject"]["body_mass_kg"], out["subject"]["height_m"]) == (body.body_mass_kg, body.height_m)
    both = runner.invoke(app, ["simulate", "pendulum", "--body-from", "cp1-right-ankle-stretches",
                               "--body-mass-kg", "40"])
    assert both.exit_code == 2 and "--body-from" in both.output
    not_ipsa = runner.invoke(app, ["simulate", "pendulum", "--body-from", "cp1-right-pendulum"])
    assert not_ipsa.exit_code == 1 and "IPSA" in not_ipsa.output


def test_samples_out_needs_nuts_and_is_checked_first(tmp_path):
    result = runner.invoke(app, ["fit", "pendulum", "cp1-right-pendulum", "--samples-out", str(tmp_path / "p.nc")])
    assert result.exit_code == 2 and "--method nuts" in result.output
    result = runner.invoke(app, ["fit", "pendulum", "cp1-right-pendulum", "--method", "nuts",
                                 "--samples-out", str(tmp_path / "p.txt")])
    assert result.exit_code == 2 and ".nc" in result.output


@pytest.mark.slow
def test_nuts_fit_writes_a_posterior_arviz_opens_with_its_chains(tmp_path):
    arviz = pytest.importorskip("arviz")
    posterior = tmp_path / "post.nc"
    result = runner.invoke(app, ["fit", "pendulum", "cp1-right-pendulum", "--coordinate", "knee_angle_r",
                                 "--body-from", "cp1-right-ankle-stretches", "--method", "nuts",
                                 "--samples-out", str(posterior), "--json"])
    assert result.exit_code == 0, result.output
    data = arviz.from_netcdf(posterior)
    assert data.posterior.sizes["chain"] >= 2 and "motoneuron.gain" in data.posterior


def test_report_explain_and_triage(tmp_path):
    report = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "cp1-right-pendulum", "--out", str(report)])
    assert result.exit_code == 0, result.output
    page = report.read_text()
    assert "not a medical device" in page and "Bajd" in page
    found = _json(["explain", "cramp", "--json"])
    assert found["term"] == "cramp" and found["entries"] and all(e["source"] for e in found["entries"])
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"location": "calf", "duration_min": 90, "episodes_per_week": 1,
                                   "trigger": "night", "signs": []}))
    advice = _json(["triage", "--answers", str(answers), "--json"])
    assert advice["advice"] != "self_care" and advice["rules"]  # a cramp over an hour is a red flag
    answers.write_text(json.dumps({"location": "knee"}))
    bad = runner.invoke(app, ["triage", "--answers", str(answers)])
    assert bad.exit_code == 1 and "location" in bad.output


def test_assess_motor_units_json_contract(tmp_path):
    path = tmp_path / "units.csv"
    rows = ["unit,time_s"] + [f"{u},{t:.4f}" for u in (1, 2) for t in np.arange(0.5 * u, 6.0 - 0.5 * u, 0.08)]
    path.write_text("\n".join(rows) + "\n")
    out = _json(["assess", "motor-units", str(path), "--json"])
    assert set(out) >= {"file", "n_units", "delta_f_pps", "units"} and out["n_units"] == 2
    assert set(out["delta_f_pps"]) >= {"mean", "sd", "n_pairs"}
    assert {u["unit"] for u in out["units"]} == {1, 2} or {str(u["unit"]) for u in out["units"]} == {"1", "2"}


def test_calibrating_the_healthy_knee_names_the_recordings_that_do_not_ship(monkeypatch):
    monkeypatch.delenv(datasets.DATA_ENV, raising=False)
    result = runner.invoke(app, ["calibrate", "healthy_knee"])
    assert result.exit_code == 1 and "--data" in result.output and "TD5" in result.output


def test_treatments_voluntary_movement_and_motor_neurons_from_the_command_line():
    plain = _json(["simulate", "pendulum", "--condition", "cerebral_palsy", "--severity", "0.7", "--json"])
    cut = _json(["simulate", "pendulum", "--condition", "cerebral_palsy", "--severity", "0.7",
                 "--treatment", "rhizotomy:40", "--json"])
    assert cut["treatments"] == [{"name": "rhizotomy", "dose": 40.0}] and plain["treatments"] == []
    assert cut["metrics"]["r2n"] > plain["metrics"]["r2n"]  # fewer afferents, a freer swing (docs/treatments.md)
    bad = runner.invoke(app, ["simulate", "pendulum", "--treatment", "aspirin"])
    assert bad.exit_code == 2 and "rhizotomy" in bad.output
    healthy = _json(["simulate", "voluntary", "--json"])
    stroke = _json(["simulate", "voluntary", "--condition", "stroke", "--severity", "0.7", "--json"])
    assert set(stroke["metrics"]) >= {"peak_velocity_deg_s", "movement_time_s", "range_deg",
                                      "co_contraction_index", "effort"}
    assert stroke["metrics"]["movement_time_s"] > healthy["metrics"]["movement_time_s"]
    assert stroke["metrics"]["co_contraction_index"] > healthy["metrics"]["co_contraction_index"]
    pool = {c: _json(["simulate", "motoneuron", "--condition", c, "--json"]) for c in ("healthy", "spinal_cord_injury")}
    assert set(pool["healthy"]) == {"condition", "recruitment", "derecruitment", "delta_f_pps"}
    assert pool["spinal_cord_injury"]["delta_f_pps"] > pool["healthy"]["delta_f_pps"]


@pytest.mark.slow
def test_a_fitted_child_is_simulated_again_as_recorded_and_treated_with_intervals(tmp_path):
    fit_json = _fitted_cp1(tmp_path, "right")
    rmse_deg = json.loads(fit_json.read_text())["rmse_deg"]
    recorded = _json(["assess", "pendulum", "cp1-right-pendulum", "--coordinate", "knee_angle_r", "--json"])["metrics"]
    again = _json(["simulate", "pendulum", "--from-fit", str(fit_json), "--json"])["metrics"]
    # The recorded path up to the fitted release, then the fitted swing: it settles within the fit's
    # RMSE, and its first swing differs by the fit's own residual there (the fit's largest, 6.3 deg at
    # the first peak against an RMSE of 2.25 deg: 3 RMSE bounds it; tests/fit/test_simulate_fit.py
    # checks the start angle and the swing against the fitted trace itself).
    assert abs(again["plateau_deg"] - recorded["plateau_deg"]) < rmse_deg
    assert abs(again["first_swing_excursion_deg"] - recorded["first_swing_excursion_deg"]) < 3 * rmse_deg
    assert again["n_oscillations"] == recorded["n_oscillations"]
    assert again["period_s"] == pytest.approx(recorded["period_s"], rel=0.05)
    treated = _json(["simulate", "pendulum", "--from-fit", str(fit_json), "--treatment", "rhizotomy",
                     "--draws", "20", "--json"])
    low, high = treated["ci95"]["first_swing_excursion_deg"]
    assert low <= treated["metrics"]["first_swing_excursion_deg"] + 1.0 and low < high
    assert treated["metrics"]["first_swing_excursion_deg"] > again["first_swing_excursion_deg"]


def test_simulate_cramp_json_contract_and_choices():
    prone = _json(["simulate", "cramp", "--condition", "cramp_prone", "--json"])
    assert set(prone) >= {"condition", "severity", "cramp_threshold_frequency_hz", "cramp_duration_s",
                          "mean_firing_rate_pps"}
    healthy = _json(["simulate", "cramp", "--json"])
    # Miller & Knight 2009: cramp-prone 14.9 Hz against 25.5 Hz (docs/cramps.md)
    assert prone["cramp_threshold_frequency_hz"] < healthy["cramp_threshold_frequency_hz"]
    for flag, value in (("--condition", "flu"), ("--relief", "nap")):
        bad = runner.invoke(app, ["simulate", "cramp", flag, value])
        assert bad.exit_code == 2 and flag in bad.output


@pytest.mark.parametrize("kind", ["calf_cramp", "hemifacial_spasm"])
def test_a_simulated_spasm_written_and_assessed_from_the_command_line(kind, tmp_path):
    path = tmp_path / f"{kind}.csv"
    result = runner.invoke(app, ["simulate", "spasm", "--kind", kind, "--out", str(path), "--seed", "7"])
    assert result.exit_code == 0, result.output
    found = _json(["assess", "emg", str(path), "--json"])
    assert found["kind"] == kind and found["rule"] and found["source"] and "not a diagnosis" in found["notice"].lower()
    bad = runner.invoke(app, ["simulate", "spasm", "--kind", "tic", "--out", str(path)])
    assert bad.exit_code == 2 and "--kind" in bad.output


def test_cohort_trial_from_the_command_line(tmp_path):
    out = tmp_path / "trial.csv"
    result = _json(["cohort", "trial", "--n", "12", "--condition", "stroke", "--treatment", "baclofen_intrathecal",
                    "--out", str(out), "--json"])
    assert result["n"] == 12 and result["treatment"]["name"] == "baclofen_intrathecal"
    low, high = result["effect"]["ci95"]
    assert low <= result["effect"]["mean_difference"] <= high and out.is_file()
    for args in (["--n", "5"], ["--n", "5", "--treatment", "aspirin"]):
        bad = runner.invoke(app, ["cohort", "trial", *args, "--out", str(tmp_path / "x.csv")])
        assert bad.exit_code == 2 and "--treatment" in bad.output


def test_simulated_stretch_with_motor_unit_emg_writes_volts_and_discharges(tmp_path):
    out = tmp_path / "stretch.csv"
    result = runner.invoke(app, ["simulate", "stretch", "--velocity-deg-s", "200", "--condition", "stroke",
                                 "--severity", "0.7", "--emg", "motor-units", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["trials"][0]
    flexors = row["motor_unit_emg"]["muscles"]["elbow_flexors"]
    assert flexors["n_recruited"] > 10 and 50 < flexors["rms_uv"] < 2000  # surface EMG, tens of uV to mV
    written = read_trial(tmp_path / "stretch_200deg_s.csv")
    assert written.unit("emg_surface_elbow_flexors") == "V"
    motor_units = runner.invoke(app, ["assess", "motor-units", "--json",
                                      str(tmp_path / "stretch_200deg_s_elbow_flexors_discharges.csv")])
    assert motor_units.exit_code == 0, motor_units.output
    assert json.loads(motor_units.stdout)["n_units"] == flexors["n_recruited"]
    refused = runner.invoke(app, ["simulate", "pendulum", "--emg", "motor-units", "--out", str(tmp_path / "x.mot")])
    assert refused.exit_code == 2 and ".mot" in refused.output


def test_from_fit_lenient_measures_a_fitted_leg_still_swinging_and_names_the_gate(tmp_path):
    # The gate's error tells the user to pass --lenient; with --from-fit it must then be honoured.
    fit_json = _fitted_cp1(tmp_path, "left")
    strict = runner.invoke(app, ["simulate", "pendulum", "--from-fit", str(fit_json), "--json"])
    if strict.exit_code == 0:
        pytest.skip("this fit's leg settles in time: no gate to pass")
    assert "--lenient" in strict.output
    lenient = _json(["simulate", "pendulum", "--from-fit", str(fit_json), "--lenient", "--json"])
    assert any("plateau_settled" in w for w in lenient["warnings"])
