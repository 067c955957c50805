"""Hostile input to every documented command: one clear line and exit 1 or 2, before any work, never a
traceback or a silent wrong number (issue 19's cases, each a regression test)."""

import csv
import json
import os
import stat

import pytest
from typer.testing import CliRunner

from myoreflex.cli import app

runner = CliRunner()


def _one_line(result, code: int, *fragments: str):
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip() and line.strip() != "subjects"]
    assert len(lines) == 1, result.stderr  # the one error line (a progress bar's label aside)
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture
def manifest(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("subject,condition,severity,body_mass_kg,height_m\na,healthy,0,70,1.7\n")
    return path


@pytest.mark.parametrize("value", ["inf", "nan", "1e-9", "0", "-5", "1e9"])
def test_a_stretch_velocity_outside_the_protocols_bounds_is_refused_at_once(value):
    result = runner.invoke(app, ["simulate", "stretch", "--velocity-deg-s", "100", "--velocity-deg-s", value])
    _one_line(result, 2, "--velocity-deg-s", "deg/s", "expected")


@pytest.mark.parametrize("args,flag", [
    (["fit", "pendulum", "x.csv", "--seed", "-1"], "--seed"),
    (["fit", "stretch", "x.csv", "--seed", "4294967296"], "--seed"),
    (["assess", "pendulum", "x.csv", "--angle-sign", "2"], "--angle-sign"),
    (["assess", "pendulum", "x.csv", "--angle-sign", "0"], "--angle-sign"),
    (["cohort", "population", "0"], "n"),
    (["cohort", "population", "5", "--stroke-fraction", "1.5"], "--stroke-fraction"),
    (["simulate", "pendulum", "--severity", "nan"], "--severity"),
    (["fit", "stretch", "x.csv", "--smoothing-ms", "-3"], "--smoothing-ms"),
    (["assess", "stretch", "--slow", "a.csv", "--fast", "b.csv", "--lever-arm-m", "inf"], "--lever-arm-m"),
    (["assess", "stretch", "--slow", "a.csv", "--fast", "b.csv", "--segment", "-1"], "--segment"),
])
def test_numeric_options_are_checked_with_their_range_before_any_work(args, flag):
    _one_line(runner.invoke(app, args), 2, flag, "expected")


def test_cohort_options_that_name_something_are_checked_before_any_work(manifest, tmp_path):
    out = tmp_path / "r.csv"
    result = runner.invoke(app, ["cohort", "simulate", str(manifest), "--scheduler", "bogus", "--out", str(out)])
    _one_line(result, 2, "--scheduler", "tcp://")
    result = runner.invoke(app, ["cohort", "simulate", str(manifest), "--chunk-size", "0", "--out", str(out)])
    _one_line(result, 2, "--chunk-size")
    fits = tmp_path / "fits.csv"
    fits.write_text("subject,file\na,nowhere.csv\n")
    result = runner.invoke(app, ["cohort", "fit", str(fits), "--free", "motoneuron.nope", "--out", str(out)])
    _one_line(result, 2, "--free", "motoneuron.nope", "did you mean")
    assert not out.exists()


def test_fit_free_parameters_are_checked_against_the_model_before_reading(tmp_path):
    result = runner.invoke(app, ["fit", "pendulum", str(tmp_path / "none.csv"), "--free", "limb.dampin"])
    _one_line(result, 2, "--free", "limb.damping")


def test_assess_folder_records_every_odd_entry_in_its_row_and_goes_on(data_dir, tmp_path):
    folder = tmp_path / "recordings"
    folder.mkdir()
    good = (data_dir / "kuleuven-pendulum-tutorial" / "DataPendulum.csv").read_text()
    (folder / "a_good.csv").write_text(good)
    (folder / "b_folder.csv").mkdir()  # a folder that matches the pattern
    (folder / "c_binary.csv").write_bytes(os.urandom(2048))
    (folder / "d_empty.csv").write_text("")
    locked = folder / "e_locked.csv"
    locked.write_text(good)
    locked.chmod(0)
    out = tmp_path / "table.csv"
    try:
        result = runner.invoke(app, ["assess", "folder", str(folder), "--out", str(out), "--angle-sign", "-1"])
    finally:
        locked.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert result.exit_code == 0, result.output
    with open(out, newline="") as stream:
        rows = {row["file"]: row for row in csv.DictReader(stream)}
    assert set(rows) == {"a_good.csv", "b_folder.csv", "c_binary.csv", "d_empty.csv", "e_locked.csv"}
    assert rows["a_good.csv"]["error"] == "" and float(rows["a_good.csv"]["r1"]) > 1.0
    assert "folder" in rows["b_folder.csv"]["error"]
    for name in ("c_binary.csv", "d_empty.csv"):
        assert rows[name]["error"], name
    if os.geteuid() != 0:  # root reads a file whatever its mode
        assert rows["e_locked.csv"]["error"]


def test_simulate_json_reports_the_protocol_even_with_odd_but_valid_settings():
    result = runner.invoke(app, ["simulate", "stretch", "--velocity-deg-s", "1000", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["trials"][0]["velocity_deg_s"] == 1000.0


def test_outputs_are_checked_before_any_work(manifest, tmp_path):
    result = runner.invoke(app, ["cohort", "simulate", str(manifest), "--out", str(manifest)])
    _one_line(result, 2, "--out", manifest.name)
    assert manifest.read_text().startswith("subject,condition")  # the manifest is untouched
    for out, fragment in ((tmp_path / "missing" / "r.csv", "missing"), (tmp_path, "folder"),
                          (tmp_path / "r.xlsx", ".xlsx")):
        result = runner.invoke(app, ["cohort", "simulate", str(manifest), "--out", str(out)])
        _one_line(result, 2, "--out")
    for plot in (tmp_path / "figure.xyz", tmp_path / "nowhere" / "figure.png"):
        result = runner.invoke(app, ["simulate", "pendulum", "--plot", str(plot)])
        _one_line(result, 2, "--plot")
    result = runner.invoke(app, ["cohort", "population", "3", "--out", str(tmp_path / "population.parquet")])
    _one_line(result, 2, "--out", ".parquet")


def test_a_full_disk_is_one_line_and_the_rerun_resumes(manifest, tmp_path, monkeypatch):
    import errno

    import pyarrow.parquet

    out = tmp_path / "r.parquet"

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pyarrow.parquet, "write_table", disk_full)
    result = runner.invoke(app, ["cohort", "simulate", str(manifest), "--out", str(out)])
    _one_line(result, 1, "r.parquet")
    assert not out.exists() and list((tmp_path / "r.parquet.parts").glob("chunk-*.json"))
    monkeypatch.undo()
    result = runner.invoke(app, ["cohort", "simulate", str(manifest), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 chunks reused" in result.stdout and out.exists()


def test_cohort_simulate_lenient_measures_a_short_swing_and_names_the_gate(manifest, tmp_path):
    # The healthy knee swings 13 times over 20 s: cut at 3 s it has not settled (plateau_settled).
    strict, lenient = tmp_path / "strict.csv", tmp_path / "lenient.csv"
    result = runner.invoke(app, ["cohort", "simulate", str(manifest), "--set", "duration_s=3", "--out", str(strict)])
    assert result.exit_code == 0 and "'ERROR': 1" in result.output, result.output
    row = next(csv.DictReader(strict.open()))
    assert row["status"] == "ERROR" and "plateau_settled" in row["error"]
    result = runner.invoke(app, ["cohort", "simulate", str(manifest), "--set", "duration_s=3", "--lenient",
                                 "--out", str(lenient)])
    assert result.exit_code == 0 and "'OK': 1" in result.output, result.output
    row = next(csv.DictReader(lenient.open()))
    assert row["status"] == "OK" and "quality gate `plateau_settled`" in row["warnings"] and float(row["r1"]) > 0
