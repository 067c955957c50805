"""Voluntary movement under spasticity (protocols.voluntary, measures.voluntary; issue 17).

Reference: after stroke, fast elbow extension is slower and the antagonist co-contracts more
(Levin 1996 Brain 119:281; Alt Murphy et al. 2011 Neurorehabil Neural Repair 25:71: peak elbow
angular velocity and movement time discriminate best between stroke and controls). The stroke
preset holds spasticity alone (no paresis: the same command reaches both), so the tests ask for the
direction and a size band, not a published mean.
"""

import numpy as np
import pytest

from myoreflex import apply_condition, default_params, simulate_batch, stack_params
from myoreflex.errors import RecordingError
from myoreflex.measures.voluntary import measure
from myoreflex.protocols import PROTOCOLS
from myoreflex.protocols.voluntary import VoluntaryMovement
from myoreflex.simulation import simulate
from myoreflex.treatments import apply_treatment

TEST = VoluntaryMovement()


@pytest.fixture(scope="module")
def elbow():
    healthy = default_params("elbow")
    stroke = apply_condition(healthy, "stroke", 0.7)
    out = {label: TEST.measure(TEST.run(params)) for label, params in (
        ("healthy", healthy), ("stroke", stroke),
        ("baclofen", apply_treatment(stroke, "baclofen_intrathecal")))}
    return out


def test_healthy_elbow_reaches_its_target_fast_and_once(elbow):
    h = elbow["healthy"]
    assert abs(h.range_deg - 60.0) < 5.0 and h.overshoot_deg < 5.0 and h.corrections == 0
    assert 300 < h.peak_velocity_deg_s < 900 and h.movement_time_s < 0.5  # Gottlieb et al. 1989 range
    assert h.stretch_reflex_angle_deg is None


def test_stroke_is_slower_and_co_contracts_more(elbow):
    h, s = elbow["healthy"], elbow["stroke"]
    assert s.peak_velocity_deg_s < 0.9 * h.peak_velocity_deg_s
    assert s.movement_time_s > 1.5 * h.movement_time_s
    assert s.co_contraction_index > h.co_contraction_index + 10.0
    # The spastic flexors' reflex starts inside the movement and limits the range actively controlled.
    assert s.stretch_reflex_angle_deg is not None and s.active_range_deg < s.range_deg < h.range_deg


def test_lowering_the_reflex_restores_part_of_the_speed(elbow):
    h, s, b = elbow["healthy"], elbow["stroke"], elbow["baclofen"]
    mean_speed = {k: m.range_deg / m.movement_time_s for k, m in elbow.items()}
    assert mean_speed["stroke"] < mean_speed["baclofen"] < mean_speed["healthy"]
    assert s.movement_time_s > b.movement_time_s > h.movement_time_s
    assert s.range_deg < b.range_deg < h.range_deg
    assert b.co_contraction_index < s.co_contraction_index


def test_metrics_for_the_command_line():
    trial = VoluntaryMovement(duration=0.8).run(default_params("knee"))
    result = measure(trial)
    assert set(result.metrics()) == {"peak_velocity_deg_s", "movement_time_s", "range_deg",
                                     "co_contraction_index", "effort"}
    assert result.mover == "quadriceps" and trial.metadata["direction"] == -1.0
    assert np.all(np.isfinite(trial["angle"]))


def test_the_command_follows_the_triphasic_pattern():
    t = np.arange(0.0, 0.6, 1e-3)
    c = TEST.command("elbow", t)
    mover, stretched = c[:, 1], c[:, 0]
    assert mover[t < TEST.onset - 0.03].max() == 0.0 and mover.max() == pytest.approx(TEST.burst)
    assert t[np.argmax(stretched)] > t[np.argmax(mover)]
    assert mover[-1] == pytest.approx(TEST.hold)


def test_the_movement_runs_through_simulate_like_every_protocol():
    # Issue 17: the command reaches the loop through the simulator's hook (Drive.command), so
    # simulate, simulate_batch and the registry run it; the protocol has no scan of its own. With
    # the presets' short-range stiffness off (limb.srs_torque_ratio = 0) the run equals the old
    # scan's bit for bit (checked when it was removed), so the numbers pinned above did not move;
    # the old scan added the command to the tone, which short-range stiffness would have counted.
    assert PROTOCOLS["voluntary"] is VoluntaryMovement
    elbow = default_params("elbow")
    plain = simulate(elbow, TEST)
    run = TEST.run(elbow)
    np.testing.assert_array_equal(plain["angle"], run["angle"])
    assert "command_elbow_flexors" in run.channels and "command_elbow_flexors" not in plain.channels
    # The command is in the EMG: excitation = tone + command + reflex.
    t = run.time
    burst = (t > TEST.onset + 0.01) & (t < TEST.onset + 0.03)
    assert np.all(run["emg_elbow_extensors"][burst] >= run["command_elbow_extensors"][burst])
    # The measure reads a plain simulation too (mover from the model's muscle order and the direction).
    assert measure(plain).mover == "elbow_extensors" and measure(plain).stretched == "elbow_flexors"
    assert measure(plain).peak_velocity_deg_s == pytest.approx(measure(run).peak_velocity_deg_s, rel=1e-12)
    batch = simulate_batch(stack_params([elbow, apply_condition(elbow, "stroke", 0.7)]), TEST)
    np.testing.assert_allclose(batch.trial(0)["angle"], plain["angle"], rtol=0, atol=1e-12)


def test_a_recording_without_movement_or_muscles_is_named():
    trial = TEST.run(default_params("elbow"))
    from myoreflex.trial import Trial
    still = Trial(trial.time, {"angle": trial.channels["angle"].__class__(np.zeros(trial.time.size), "rad"),
                               **{k: v for k, v in trial.channels.items() if k.startswith("emg_")}},
                  {**trial.metadata, "direction": 1.0})
    with pytest.raises(RecordingError, match="movement towards the target"):
        measure(still)
    with pytest.raises(RecordingError, match="mover"):
        measure(Trial(trial.time, dict(trial.channels), {"source": "x"}))
