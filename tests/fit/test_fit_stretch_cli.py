"""`myoreflex fit stretch` (JSON contract, plot, bad input) and `myoreflex cohort fit` (table,
provenance, resume) on synthetic stroke-elbow stretches written as CSV recordings.

Every fit here starts from the preset that made the data (``--condition stroke --severity 0.7``)
with the reflex gain and threshold free; subject 2's truth has a 30 % higher gain and a 15 % lower
threshold. All recordings share one shape, so the whole module compiles one simulation.
"""

import csv
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from myoreflex.cli import app
from myoreflex.cohort import engine as cohort
from myoreflex.cohort import read_results
from myoreflex.conditions import apply_condition
from myoreflex.fit import synthetic_stretches
from myoreflex.model import default_params
from myoreflex.params import get_param, with_overrides
from myoreflex.units import DEG

runner = CliRunner()
FREE = ("motoneuron.gain", "motoneuron.threshold")
START = ["--condition", "stroke", "--severity", "0.7"]


def _write(trial, path):
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["time_s", "elbow_angle_deg", "torque_Nm"])
        writer.writerows(zip(trial.time, trial["angle"] / DEG, trial["torque"]))
    return path


@pytest.fixture(scope="module")
def subjects(tmp_path_factory, stretch_settings):
    """Two subjects' stretch CSVs and their true parameters."""
    folder = tmp_path_factory.mktemp("stretches")
    preset = apply_condition(default_params("elbow"), "stroke", 0.7)
    gain, threshold = (float(get_param(preset, path)) for path in FREE)
    truths = {"s1": preset, "s2": with_overrides(preset, {FREE[0]: 1.3 * gain, FREE[1]: 0.85 * threshold})}
    files = {}
    for seed, (subject, truth) in enumerate(truths.items(), start=1):
        trials = synthetic_stretches(truth, noise_sd_nm=0.2, seed=seed, **stretch_settings)
        names = [folder / f"{subject}_{t.metadata['velocity_deg_s']:g}.csv" for t in trials]
        files[subject] = [_write(t, name) for t, name in zip(trials, names)]
    return folder, files, truths


def _one_error_line(result, *fragments):
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_fit_stretch_json_contract_and_plot(subjects, tmp_path):
    _, files, truths = subjects
    figure = tmp_path / "fit.png"
    command = ["fit", "stretch", *map(str, files["s1"]), *START, "--json", "--plot", str(figure)]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"params", "ci95", "rmse_deg", "converged", "rmse_nm"} <= set(out)  # documented keys; more are added
    assert out["rmse_deg"] is None and out["converged"] is True
    assert out["rmse_nm"] == pytest.approx(0.2, rel=0.15)  # the noise put in
    assert set(out["params"]) == set(out["ci95"]) == set(FREE)
    for path in FREE:
        low, high = out["ci95"][path]
        assert low <= out["params"][path] <= high
        assert out["params"][path] == pytest.approx(float(get_param(truths["s1"], path)), rel=0.10)
    assert figure.stat().st_size > 10_000


def test_fit_stretch_text_report(subjects):
    # with the gain's profile likelihood (issue 14): one more optimisation, one more line
    _, files, _ = subjects
    result = runner.invoke(app, ["fit", "stretch", *map(str, files["s1"]), *START, "--profile", FREE[0]])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    profile = [line for line in lines if line.strip().startswith(f"profile {FREE[0]}: rise")]
    assert len(profile) == 1 and "(flat)" not in profile[0]  # 2 velocities x 0.2 N m noise identify the gain
    assert lines[0].startswith(f"Stretch fit of {len(files['s1'])} ") and "torque RMSE" in lines[0]
    assert "converged True" in lines[0]
    for path in FREE:  # one line per parameter with its interval
        assert any(line.strip().startswith(path) and "95 % [" in line for line in lines[1:])
    assert "not a medical device" in result.stdout


def test_fit_stretch_bad_input_gets_one_line_and_exit_code_2(subjects, tmp_path):
    folder, files, _ = subjects
    missing = tmp_path / "missing.csv"
    _one_error_line(runner.invoke(app, ["fit", "stretch", str(files["s1"][0]), str(missing), "--json"]),
                    "FILE", "missing.csv")
    angle_only = tmp_path / "angle_only.csv"
    data = np.loadtxt(files["s1"][0], delimiter=",", skiprows=1)
    np.savetxt(angle_only, data[:, :2], delimiter=",", header="time_s,elbow_angle_deg", comments="")
    _one_error_line(runner.invoke(app, ["fit", "stretch", str(angle_only), "--json"]),
                    "FILE", "torque", "angle_only.csv")
    _one_error_line(runner.invoke(app, ["fit", "stretch", str(files["s1"][0]), "--emg"]),
                    "FILE", "emg_<muscle>")
    _one_error_line(runner.invoke(app, ["fit", "stretch", str(files["s1"][0]), "--method", "mcmc"]),
                    "--method", "mcmc")
    _one_error_line(runner.invoke(app, ["fit", "stretch", str(files["s1"][0]), "--joint", "knee"]),
                    "--joint", "knee")


def test_cohort_fit_writes_one_row_per_subject_and_resumes_after_an_interruption(subjects, monkeypatch):
    folder, files, truths = subjects
    manifest = folder / "manifest.csv"
    with open(manifest, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["subject", "file", "group"])
        for subject, paths in files.items():
            writer.writerow([subject, ";".join(path.name for path in paths), "stroke"])
    out = folder / "fits.parquet"
    command = ["cohort", "fit", str(manifest), "--out", str(out), *START, "--chunk-size", "1"]

    real = cohort._run_task
    computed = []

    class Interrupted(Exception):
        pass

    def interrupted_after_the_first_chunk(task, rows):
        if computed:
            raise Interrupted("killed")
        computed.append(rows[0]["subject"])
        return real(task, rows)

    monkeypatch.setattr(cohort, "_run_task", interrupted_after_the_first_chunk)
    result = runner.invoke(app, command)
    assert isinstance(result.exception, Interrupted) and not out.exists()
    assert len(list((folder / "fits.parquet.parts").glob("chunk-*.json"))) == 1

    def counted(task, rows):
        computed.append(rows[0]["subject"])
        return real(task, rows)

    monkeypatch.setattr(cohort, "_run_task", counted)
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    assert computed == ["s1", "s2"]  # the resumed run fitted only the subject left
    assert "1 chunks reused" in result.stdout and "{'OK': 2}" in result.stdout
    rows = {row["subject"]: row for row in read_results(out)}
    assert list(rows) == ["s1", "s2"]
    for subject, row in rows.items():
        assert row["status"] == "OK" and row["error"] == "" and row["converged"] is True
        assert row["group"] == "stroke" and row["n_stretches"] == 2
        assert row["rmse_nm"] == pytest.approx(0.2, rel=0.15)
        for path in FREE:
            true = float(get_param(truths[subject], path))
            assert row[path] == pytest.approx(true, rel=0.10)
            assert row[f"{path}_ci95_low"] <= row[path] <= row[f"{path}_ci95_high"]
    assert rows["s1"]["myoreflex_version"] and rows["s1"]["dt_s"] == pytest.approx(2e-3)
    provenance = json.loads(out.with_name(out.name + ".provenance.json").read_text())
    assert provenance["settings"]["fitter"] == "myoreflex.cohort.fitters.StretchFitter"  # the class moved
    assert provenance["settings"]["fitter_settings"]["free"] == list(FREE)
    assert provenance["reused_chunks"] == 1 and provenance["computed_chunks"] == 1
    assert not (folder / "fits.parquet.parts").exists()  # removed once the table is written
