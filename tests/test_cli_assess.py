"""`myoreflex assess`: the same metrics contract as `simulate`, folders into one table, clear errors."""

import csv
import json
import shutil

from typer.testing import CliRunner

from myoreflex.cli import app

runner = CliRunner()
CP1_RIGHT = "kuleuven-cp-ipsa-pendulum/Data/Data_CP1/IK/CP4_T0_Pendulum_Sit_ISO_r_T1_IK.mot"


def test_assess_pendulum_prints_the_simulate_metrics_object(data_dir):
    result = runner.invoke(app, ["assess", "pendulum", str(data_dir / CP1_RIGHT), "--coordinate", "knee_angle_r",
                                 "--angle-sign", "-1", "--json"])
    assert result.exit_code == 0, result.output
    assessed = json.loads(result.stdout)["metrics"]
    simulated = json.loads(runner.invoke(app, ["simulate", "pendulum", "--json"]).stdout)["metrics"]
    assert set(assessed) == set(simulated)
    assert abs(assessed["r1"] - 1.22) < 0.05  # SOURCE.md reference for CP1 right


def test_assess_folder_writes_one_row_per_file_and_reports_bad_files(data_dir, tmp_path):
    folder = tmp_path / "recordings"
    folder.mkdir()
    shutil.copy(data_dir / "kuleuven-pendulum-tutorial" / "DataPendulum.csv", folder)
    shutil.copy(data_dir / "kuleuven-td-pendulum-excerpt" / "TD5_IK_Trial02_knee_angle_l.csv", folder)
    (folder / "broken.csv").write_text("time_s,knee_angle_deg\n")
    out = tmp_path / "table.csv"
    result = runner.invoke(app, ["assess", "folder", str(folder), "--out", str(out), "--angle-sign", "-1"])
    assert result.exit_code == 0, result.output
    rows = {row["file"]: row for row in csv.DictReader(out.open())}
    assert set(rows) == {"DataPendulum.csv", "TD5_IK_Trial02_knee_angle_l.csv", "broken.csv"}
    assert abs(float(rows["DataPendulum.csv"]["r1"]) - 1.62) < 0.05
    assert "broken.csv" in rows["broken.csv"]["error"] and rows["broken.csv"]["r1"] == ""


def test_assess_folder_finds_each_files_angle_sign_from_its_swing(data_dir, tmp_path):
    # Without --angle-sign each file's sign is detected and written in its row: the tutorial's
    # flexion-negative file is measured (it was an error row with the old default of +1).
    folder = tmp_path / "recordings"
    folder.mkdir()
    shutil.copy(data_dir / "kuleuven-pendulum-tutorial" / "DataPendulum.csv", folder)
    out = tmp_path / "table.csv"
    result = runner.invoke(app, ["assess", "folder", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(out.open()))
    assert row["error"] == "" and abs(float(row["r1"]) - 1.62) < 0.05
    assert float(row["angle_sign"]) == -1.0 and "detected" in row["angle_sign_source"]


def test_assess_pendulum_coordinate_picks_the_angle_column_of_a_csv(data_dir, tmp_path):
    # --coordinate names the file's angle in every format (the readers' angle_channel): here a CSV
    # with a second angle column, which would otherwise be two `angle` channels.
    source = (data_dir / "kuleuven-pendulum-tutorial" / "DataPendulum.csv").read_text().splitlines()
    path = tmp_path / "two_angles.csv"
    path.write_text("\n".join([source[0] + ",hip_angle_deg"] + [row + ",90" for row in source[1:]]) + "\n")
    ambiguous = runner.invoke(app, ["assess", "pendulum", str(path), "--angle-sign", "-1", "--json"])
    assert ambiguous.exit_code == 1 and "one column per channel" in ambiguous.stderr
    result = runner.invoke(app, ["assess", "pendulum", str(path), "--coordinate", "knee_angle_deg",
                                 "--angle-sign", "-1", "--json"])
    assert result.exit_code == 0, result.output
    assert abs(json.loads(result.stdout)["metrics"]["r1"] - 1.62) < 0.05  # as the tutorial file itself


def test_assess_missing_file_is_a_one_line_error(tmp_path):
    result = runner.invoke(app, ["assess", "pendulum", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "nope.csv" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_assess_stretch_json_contract_on_the_healthy_robot_elbow(data_dir):
    folder = data_dir / "elbow-stretch-spasticmyoelbow" / "derived_csv"
    result = runner.invoke(app, ["assess", "stretch", "--slow", str(folder / "ref_data_0_1_v10.csv"),
                                 "--fast", str(folder / "ref_data_0_1_v90.csv"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out["components"]) == {"inertial", "elastic", "viscous", "neural"}
    assert "units" in out and "flags" in out
    assert abs(out["components"]["neural"]) < 0.5  # healthy elbow: no neural component (N m)


def test_assess_threshold_reads_every_segment_of_an_ipsa_file(data_dir):
    path = data_dir / "kuleuven-cp-ipsa-pendulum" / "Data" / "Data_CP1" / "IPSA" / "CP4_T0_PF_R.mat"
    result = runner.invoke(app, ["assess", "threshold", str(path), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["n_stretches"] + out["n_excluded"] == 8  # 4 slow + 4 fast segments (SOURCE.md)


def test_assess_manual_gives_each_fast_ipsa_stretch_a_larger_neural_component(data_dir):
    path = data_dir / "kuleuven-cp-ipsa-pendulum" / "Data" / "Data_CP1" / "IPSA" / "CP4_T0_PF_R.mat"
    result = runner.invoke(app, ["assess", "manual", str(path), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["stretches"]
    assert len(rows) == 4  # the 4 fast segments (SOURCE.md)
    assert all(row["neural_nm"] > 1.0 for row in rows)  # measured 2.2-2.8 N m (tests/measures/test_ipsa_neural.py)


def test_assess_manual_without_slow_stretches_is_a_one_line_error(data_dir):
    path = data_dir / "kuleuven-cp-ipsa-pendulum" / "Data" / "Data_CP1" / "IPSA" / "CP4_T0_PF_R.mat"
    result = runner.invoke(app, ["assess", "manual", str(path), "--slow-speed", "medium"])
    assert result.exit_code == 2
    assert "--slow-speed" in result.output and "high, low" in result.output and "Traceback" not in result.output


def test_cohort_population_then_simulate_writes_one_row_per_subject(tmp_path):
    manifest, results = tmp_path / "population.csv", tmp_path / "results.csv"
    assert runner.invoke(app, ["cohort", "population", "4", "--out", str(manifest), "--seed", "3"]).exit_code == 0
    result = runner.invoke(app, ["cohort", "simulate", str(manifest), "--out", str(results), "--chunk-size", "4"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(results.open()))
    assert len(rows) == 4 and all(row["status"] == "OK" for row in rows)
    assert all(0.5 < float(row["r1"]) < 2.0 for row in rows)


def test_cohort_simulate_refuses_an_unknown_protocol(tmp_path):
    result = runner.invoke(app, ["cohort", "simulate", str(tmp_path / "m.csv"), "--protocol", "walk"])
    assert result.exit_code == 2 and "--protocol" in result.stderr
