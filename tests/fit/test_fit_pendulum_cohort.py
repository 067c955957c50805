"""`myoreflex cohort fit --test pendulum` on two synthetic pendulum recordings written as CSV.

Subject 2's truth has a 30 % higher reflex gain than subject 1's (the stroke knee preset at
severity 0.7 with the motor-neuron threshold at 0 pps, which is also where every fit starts), so the
table must tell them apart. The cohort fit frees what ``myoreflex fit pendulum`` frees
(:data:`myoreflex.fit.pendulum.DEFAULT_FREE`) and fixes the threshold at its
:data:`~myoreflex.fit.pendulum.DEFAULT_START` (0 pps), so the truths share that threshold.
"""

import csv

import pytest
from typer.testing import CliRunner

from myoreflex.cli import app
from myoreflex.cohort import PendulumFitter, read_results
from myoreflex.conditions import apply_condition
from myoreflex.errors import RecordingError
from myoreflex.fit import synthetic_pendulum
from myoreflex.fit.pendulum import DEFAULT_FREE, DEFAULT_START
from myoreflex.model import default_params
from myoreflex.params import get_param, with_overrides
from myoreflex.units import DEG

runner = CliRunner()
GAIN = "motoneuron.gain"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pendulums")
    preset = with_overrides(apply_condition(default_params("knee"), "stroke", 0.7), DEFAULT_START)
    truths = {"s1": preset, "s2": with_overrides(preset, {GAIN: 1.3 * float(get_param(preset, GAIN))})}
    path = folder / "manifest.csv"
    with open(path, "w", newline="") as stream:
        rows = csv.writer(stream)
        rows.writerow(["subject", "file"])
        for seed, (subject, truth) in enumerate(truths.items(), start=1):
            trial = synthetic_pendulum(truth, noise_sd_deg=1.0, seed=seed, dt=2e-3)
            name = f"{subject}.csv"
            with open(folder / name, "w", newline="") as recording:
                writer = csv.writer(recording)
                writer.writerow(["time_s", "knee_angle_deg"])
                writer.writerows(zip(trial.time, trial["angle"] / DEG))
            rows.writerow([subject, name])
    return path, {s: float(get_param(t, GAIN)) for s, t in truths.items()}


def test_cohort_fit_of_pendulum_recordings_recovers_each_subjects_gain(manifest):
    path, gains = manifest
    out = path.parent / "fits.csv"
    result = runner.invoke(app, ["cohort", "fit", str(path), "--test", "pendulum", "--out", str(out),
                                 "--condition", "stroke", "--severity", "0.7"])
    assert result.exit_code == 0, result.output
    rows = {row["subject"]: row for row in read_results(out)}
    assert set(rows) == {"s1", "s2"} and all(row["status"] == "OK" for row in rows.values())
    # the pendulum fit's free set, not the stretch fit's gain + threshold (nearly degenerate on a swing)
    for row in rows.values():
        assert all(path in row for path in DEFAULT_FREE) and "motoneuron.threshold" not in row
    for subject, gain in gains.items():
        row = rows[subject]
        assert float(row[f"{GAIN}_ci95_low"]) <= gain <= float(row[f"{GAIN}_ci95_high"])
        assert float(row["rmse_deg"]) < 2.0  # noise 1 deg
    assert float(rows["s2"][GAIN]) > 1.15 * float(rows["s1"][GAIN])


def test_pendulum_fitter_fixes_the_threshold_like_fit_pendulum_unless_it_is_freed():
    fitter = PendulumFitter(condition="stroke", severity=0.7)
    assert fitter.free == DEFAULT_FREE and fitter.fixed == tuple(sorted(DEFAULT_START.items()))
    assert float(get_param(fitter.params0(), "motoneuron.threshold")) == DEFAULT_START["motoneuron.threshold"]
    freed = PendulumFitter(free=["motoneuron.gain", "motoneuron.threshold"], condition="stroke", severity=0.7)
    preset = apply_condition(default_params("knee"), "stroke", 0.7)
    assert freed.fixed == () and float(get_param(freed.params0(), "motoneuron.threshold")) == pytest.approx(
        float(get_param(preset, "motoneuron.threshold")))
    assert PendulumFitter(fixed={"motoneuron.threshold": 30.0}).fixed == (("motoneuron.threshold", 30.0),)


def test_pendulum_fitter_wants_one_recording_per_subject():
    with pytest.raises(RecordingError, match="one pendulum recording"):
        PendulumFitter()([], {"subject": "x"})


def test_cohort_fit_refuses_an_unknown_test(manifest):
    result = runner.invoke(app, ["cohort", "fit", str(manifest[0]), "--test", "gait"])
    assert result.exit_code == 2 and "--test" in result.output and "stretch or pendulum" in result.output


def test_fit_pendulum_text_report_names_a_file_whatever_its_characters(manifest):
    # The summary line is formatted from the result, not from a template built around the name:
    # braces in a file name must come out as they are.
    path, _ = manifest
    odd = path.parent / "s1 {knee}.csv"
    odd.write_text((path.parent / "s1.csv").read_text())
    # the default free set: with the gain alone the healthy adult preset cannot follow the stroke
    # truth's stiffer, more damped swing (RMSE 7 deg, a poor and unconverged fit)
    result = runner.invoke(app, ["fit", "pendulum", str(odd)])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("Pendulum fit of s1 {knee}.csv: RMSE ") and "converged True" in first
    assert any(line.strip().startswith(GAIN) and "95 % [" in line for line in result.stdout.splitlines()[1:])
    # issue 14: the sign found from the swing (a synthetic recording is flexion positive) and the grade
    assert "angle sign 1 (detected from the swing direction)" in result.stdout
    assert "RMSE " in first and ("(good)" in first) == ("POOR FIT" not in result.stdout)
    assert "not a medical device" in result.stdout


def test_a_cohort_fit_carries_the_same_default_spreads_as_the_fit_command(monkeypatch):
    # cohort.fitters._SubjectFit: a row whose body the growth charts fill in, and the knee's held loop
    # delay, carry their spreads to the fit (fit.pipeline.default_assumed_sd, as `myoreflex fit`);
    # a row that gives the body carries only the delay's.
    seen = {}

    class Stop(Exception):
        pass

    def capture(self, trials, params0, settings, row):
        seen[row["subject"]] = dict(settings.assumed_sd)
        raise Stop

    monkeypatch.setattr(PendulumFitter, "fit", capture)
    fitter = PendulumFitter()
    for row in ({"subject": "child", "age_years": "10"},
                {"subject": "sized", "body_mass_kg": "32", "height_m": "1.38"}):
        with pytest.raises(Stop):
            fitter([], row)
    delay = "delays.afferent+delays.efferent"
    assert set(seen["child"]) == {"body_mass", "height", delay}
    assert set(seen["sized"]) == {delay} and seen["sized"][delay][0] == pytest.approx(0.094)
