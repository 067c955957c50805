"""The pendulum fitted together with motorised stretches of the same knee (myoreflex.fit.joint), and
`myoreflex fit pendulum --stretch`.

Why it exists: a swing fixes the reflex's torque only relative to the shank's inertia, so with the
inertia wrong the pendulum fit finds a wrong gain that fits as well (benchmarks/RESULTS.md run M:
d log gain / d log inertia about 1.4). The stretches' torque and normalised EMG measure the reflex
itself. Truth: the knee under cerebral palsy 0.7 (threshold at DEFAULT_START, no PIC, as
tests/fit/test_fit_recovery.py); the fit is given a shank 30 % heavier than the truth's and starts
from the healthy gain and damping. The pendulum and the stretches are simulated at the fit's 2 ms
step; 1 deg noise on the angle, 0.5 N m on the torque and 0.02 on the EMG (2 % of a maximal
contraction; benchmarks/fit_recovery.py STRETCH).
"""

import csv
import json

import pytest
from typer.testing import CliRunner

from myoreflex.cli import app
from myoreflex.conditions import apply_condition
from myoreflex.errors import RecordingError
from myoreflex.fit import (
    JointModel,
    PendulumModel,
    StretchModel,
    fit_pendulum,
    fit_pendulum_and_stretch,
    synthetic_pendulum,
    synthetic_stretches,
)
from myoreflex.fit.pendulum import DEFAULT_START
from myoreflex.model import default_params
from myoreflex.params import get_param, with_overrides
from myoreflex.units import DEG

GAIN = "motoneuron.gain"
HEAVIER = 1.3


@pytest.fixture(scope="module")
def case():
    truth = with_overrides(apply_condition(default_params("knee"), "cerebral_palsy", 0.7),
                           {**DEFAULT_START, "motoneuron.pic_amplitude": 0.0})
    swing = synthetic_pendulum(truth, noise_sd_deg=1.0, seed=3)
    stretches = synthetic_stretches(truth, [60.0, 180.0], noise_sd_nm=0.5, noise_sd_emg=0.02, seed=3)
    start = with_overrides(truth, {"limb.inertia": HEAVIER * float(get_param(truth, "limb.inertia")),
                                   GAIN: 0.004, "limb.damping": 0.2})
    return truth, swing, stretches, start


def test_the_joint_model_lays_the_parts_end_to_end(case):
    truth, swing, stretches, _ = case
    joint = JointModel((PendulumModel(), StretchModel(emg=True)), (1, 2))
    prepared = joint.prepare([swing, *stretches], truth)
    pendulum, stretch = prepared.parts
    assert prepared.n_residuals == pendulum.n_residuals + stretch.n_residuals
    assert [c.label for c in prepared.channels] == ["angle", "torque_Nm", "emg_1"]
    assert [s.channel for s in prepared.series] == [0, 1, 1, 2, 2]
    assert prepared.series[1].start == pendulum.n_residuals
    assert [n.name for n in prepared.nuisance] == ["release_time"]
    assert "release_path" in prepared.description  # what with_release_angle reads
    with pytest.raises(RecordingError, match="3 recordings"):
        joint.prepare([swing, stretches[0]], truth)


@pytest.fixture(scope="module")
def fits(case):
    _, swing, stretches, start = case
    return fit_pendulum_and_stretch(swing, stretches, start), fit_pendulum(swing, start)


def test_with_stretches_the_reflex_is_found_though_the_shank_is_30_percent_off(case, fits):
    # The swing alone: the gain off by about HEAVIER^1.4 (+45 %; measured +55 % for this case,
    # 2026-12-07). With the stretches it is within 10 % of the truth and its interval covers it.
    truth, *_ = case
    joint, alone = fits
    true_gain = float(get_param(truth, GAIN))
    assert abs(alone.params[GAIN] / true_gain - 1.0) > 0.25
    assert abs(joint.params[GAIN] / true_gain - 1.0) < 0.10
    low, high = joint.ci95_with_assumptions[GAIN]
    assert low <= true_gain <= high
    assert joint.converged
    assert joint.rmse_deg < 5.0 and joint.rmse_nm is not None
    assert set(joint.noise_sd) == {"angle_deg", "torque_Nm", "emg_1"}
    assert "initial_angle" in joint.params  # the release angle, as a pendulum fit gives it
    assert {t.channel for t in joint.traces} >= {"angle", "torque", "emg_quadriceps"}


def _write(path, header, columns):
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(zip(*columns))
    return path


def test_fit_pendulum_takes_the_stretches_on_the_command_line(tmp_path):
    # The command's preset is the healthy adult knee with its threshold at DEFAULT_START; the truth is that
    # knee with a reflex three times as strong (cerebral palsy also lowers the descending inhibition, which
    # the command's preset would not know; the gain then absorbs it).
    truth = with_overrides(default_params("knee"), {**DEFAULT_START, GAIN: 0.012})
    swing = synthetic_pendulum(truth, noise_sd_deg=1.0, seed=4)
    stretches = synthetic_stretches(truth, [60.0, 180.0], noise_sd_nm=0.5, noise_sd_emg=0.02, seed=4)
    pendulum = _write(tmp_path / "swing.csv", ["time_s", "knee_angle_deg"], [swing.time, swing["angle"] / DEG])
    files = [_write(tmp_path / f"stretch_{i}.csv", ["time_s", "knee_angle_deg", "torque_Nm", "emg_quadriceps_1"],
                    [t.time, t["angle"] / DEG, t["torque"], t["emg_quadriceps"]]) for i, t in enumerate(stretches)]
    args = ["fit", "pendulum", str(pendulum), "--angle-sign", "1", "--json",
            "--assumed-sd", "delays.afferent+delays.efferent=0.1"]
    for name in files:
        args += ["--stretch", str(name)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["rmse_nm"] > 0 and out["rmse_deg"] < 5.0
    assert out["ci95"][GAIN][0] < out["params"][GAIN] < out["ci95"][GAIN][1]
    assert out["params"][GAIN] == pytest.approx(0.012, rel=0.10), out["params"]
    # No body given: the reference adult's size is assumed, with the CDC 20-year spread (S: 16 % of the
    # weight, 4 % of the stature, both sexes' mean), propagated beside the shank's inertia and the
    # declared loop delay (fit.pipeline.held_assumptions).
    assumed = out["assumptions"]
    assert set(assumed) == {"limb.inertia", "body_mass", "height", "delays.afferent+delays.efferent"}
    assert assumed["body_mass"]["prior_sd_log"] == pytest.approx(0.164, abs=0.001) and "CDC" in assumed["body_mass"]["source"]
    assert assumed["height"]["prior_sd_log"] == pytest.approx(0.040, abs=0.001)
    assert assumed["delays.afferent+delays.efferent"]["prior_sd_log"] == 0.1
    low, high = out["ci95_with_assumptions"][GAIN]
    assert low <= out["ci95"][GAIN][0] and out["ci95"][GAIN][1] <= high and low < 0.012 < high
    for bad, shown in (("body_mass", "--assumed-sd"), ("body_mass=-1", "--assumed-sd"),
                       ("limb.nope=0.1", "limb.nope")):
        refused = CliRunner().invoke(app, ["fit", "pendulum", str(pendulum), "--assumed-sd", bad])
        assert refused.exit_code == 2 and shown in refused.output, (bad, refused.output)
    bad = CliRunner().invoke(app, ["fit", "pendulum", str(pendulum), "--stretch", str(tmp_path / "none.csv")])
    assert bad.exit_code == 2 and "none.csv" in bad.output


def test_the_fit_commands_hold_the_knee_and_ankle_delays_with_their_published_latency_spread():
    # cli.fit.fit_settings: a held knee or ankle loop delay carries the between-person spread of its
    # T-reflex latency (model.LATENCY_LOG_SD: 17.4 +- 1.6 ms, Chon et al. 1996; 16.4 +- 1.6 ms, Kim et
    # al. 1997); a freed delay, a joint without a published spread, or a declared spread of either delay
    # replaces it, so no delay is counted twice.
    from myoreflex.cli.fit import fit_settings
    from myoreflex.fit.pendulum import DEFAULT_FREE
    from myoreflex.subjects import Subject, subject_params

    group = "delays.afferent+delays.efferent"
    child = Subject(body_mass_kg=32.0, height_m=1.38)

    def spreads(joint, free=DEFAULT_FREE, given=None):
        return fit_settings("map", 0, None, child, given, subject_params(joint, child), free, joint).assumed_sd

    knee = spreads("knee")
    assert set(knee) == {group}  # the body is given: no growth-chart spread
    assert knee[group][0] == pytest.approx(1.6 / 17.0, abs=0.005) and "Chon" in knee[group][1]
    assert spreads("ankle")[group][0] == pytest.approx(3.1 / 30.6, abs=0.005)
    assert spreads("elbow") == {}
    assert spreads("knee", free=(*DEFAULT_FREE, "delays.afferent")) == {}
    assert spreads("knee", given=["delays.efferent=0.3"]) == {"delays.efferent": (0.3, "given with --assumed-sd")}
