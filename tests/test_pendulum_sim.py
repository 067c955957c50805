"""The virtual pendulum test against the acceptance numbers of the simulator issue and ANCHORS 4."""

import numpy as np
import pytest

from myoreflex.cli._common import PENDULUM_CONTRACT_KEYS as CONTRACT_KEYS
from myoreflex.conditions import apply_condition
from myoreflex.measures.pendulum import measure
from myoreflex.model import default_params
from myoreflex.params import stack_params
from myoreflex.physiology.limb import LimbParams
from myoreflex.protocols.pendulum import PendulumTest
from myoreflex.simulation import simulate, simulate_batch, simulate_passive
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG


@pytest.fixture(scope="module")
def healthy():
    return measure(PendulumTest().run(default_params("knee")))


@pytest.mark.reference
def test_healthy_adult_pendulum_is_normal(healthy):
    # R1 ~ 1.6 in healthy legs (Bajd & Bowman 1982, ANCHORS 4.1); the issue accepts 1.45-1.75.
    assert 1.45 <= healthy.r1 <= 1.75
    # Healthy traces show 7-8 flexion peaks (ANCHORS 4.3: tutorial 7; TD child >= 5 in 6 s).
    assert healthy.n_oscillations >= 5
    # First period 1.05-1.10 s in the public traces (ANCHORS 4.3); the issue accepts 0.85-1.2 s.
    assert 0.85 <= healthy.period_s <= 1.2


@pytest.mark.reference
def test_relaxed_healthy_knee_tendon_organs_are_nearly_silent():
    """Tendon organs barely fire in relaxed muscle (Houk & Henneman 1967); issue 14 asks for Ib below
    10 pps throughout a healthy pendulum. Measured: at most 3.3 pps (quadriceps), 2.5 pps
    (hamstrings). With Lin & Crago's cat-sized 4 N force scale they fired 31-179 pps (issue 14)."""
    trial = simulate(default_params("knee"), PendulumTest(), record=("ib",))
    for name in ("ib_quadriceps", "ib_hamstrings"):
        assert np.max(trial[name]) < 10.0, (name, np.max(trial[name]))


@pytest.mark.reference
@pytest.mark.parametrize("condition", ["stroke", "cerebral_palsy"])
def test_spastic_pendulum_is_braked(condition, healthy):
    spastic = measure(PendulumTest().run(apply_condition(default_params("knee"), condition, 0.7)))
    # CP1 right leg (ANCHORS 4.3): R2n 0.76, 4 flexion peaks, 182 deg/s; the issue: R2n < 0.85.
    assert spastic.r2n < 0.85
    assert spastic.n_oscillations < healthy.n_oscillations
    assert spastic.peak_velocity_deg_s < healthy.peak_velocity_deg_s


CP_PEAK_VELOCITY_TURNS = pytest.mark.xfail(
    strict=True, reason="issue 14 (2026-12-06): with the fusimotor change opt-in and the threshold at x0.2, "
    "cerebral palsy's peak swing velocity falls from 397 to 335 deg/s by severity 0.85, then rises by 2.6 deg/s "
    "to severity 1 (0.75 %, over the 0.1 % tolerance); with the knee's compliant passive tissue (issue 14) it "
    "falls to 310 deg/s by severity 0.7, then rises to 316 deg/s. The presets' sizes are to come from "
    "myoreflex.calibration "
    "(issue 14 item 3); this must pass again then")


PIC_SPASM_TURNS = pytest.mark.xfail(
    strict=True, reason="issue 16 (2026-12-06): the spinal cord injury and multiple sclerosis presets have a "
    "bistable persistent inward current (physiology.motoneuron). From SCI severity about 0.55 the swing itself "
    "sets off a self-sustained quadriceps spasm: peak velocity turns back up (336 to 398 deg/s), time to peak "
    "jumps (0.2 to 0.41 s); in MS the hamstrings' PIC is on at the extended start and peak velocity turns up "
    "(330.6 to 346.8 deg/s). A spasm is not monotone in severity; the pendulum contract of these presets is to be "
    "narrowed with their calibration (issue 14)")


@pytest.mark.parametrize("condition", ["stroke", pytest.param("cerebral_palsy", marks=CP_PEAK_VELOCITY_TURNS),
                                       pytest.param("multiple_sclerosis", marks=PIC_SPASM_TURNS),
                                       pytest.param("spinal_cord_injury", marks=PIC_SPASM_TURNS)])
def test_every_metric_moves_monotonically_with_severity(condition):
    # The item 4 names stroke and cerebral palsy; every condition is held to it, on a grid
    # fine enough (41 severities) to catch a metric that turns back between two coarse grid points.
    params = default_params("knee")
    severities = np.linspace(0.0, 1.0, 41)
    batch = simulate_batch(stack_params([apply_condition(params, condition, float(s)) for s in severities]),
                           PendulumTest(), record=("angle",))
    rows = [measure(Trial(batch.time, {"angle": Channel(angle, "rad")}, {})).as_dict()
            for angle in batch.channels["angle"]]
    for key in CONTRACT_KEYS:
        values = np.array([row[key] if row[key] is not None else np.nan for row in rows], dtype=float)
        values = values[np.isfinite(values)]
        steps = np.diff(values)
        tolerance = 1e-9 + 1e-3 * np.max(np.abs(values))
        if key == "period_s":
            # The mildest severities lengthen the period by up to 2 % before the reflex shortens it
            # (stroke: 1.085 s healthy, 1.106 s at 0.2, 0.85 s at 1): the raised tone moves the resting
            # angle away from the vertical, where gravity restores less, and the added tissue damping
            # lengthens a damped swing, while the threshold is still above the swing's Ia rates
            # (measured with the knee's compliant passive tissue, issue 14). 2.5 % allows that, no more.
            tolerance = 0.025 * np.max(np.abs(values))
        assert np.all(steps <= tolerance) or np.all(steps >= -tolerance), (key, values)


def _tutorial_trial(data_dir):
    table = np.loadtxt(data_dir / "kuleuven-pendulum-tutorial" / "DataPendulum.csv", delimiter=",", skiprows=1)
    # The tutorial's angle is 0 = horizontal, negative = flexion; ours is flexion positive.
    return Trial(table[:, 0], {"angle": Channel(-table[:, 1] * DEG, "rad")}, {"source": "DataPendulum.csv"})


@pytest.mark.reference
def test_passive_model_reproduces_tutorial_trace(data_dir):
    trial = _tutorial_trial(data_dir)
    # Constants of the tutorial (De Groote et al. 2018; ANCHORS 3.3): m 2.3351 kg, l_c 0.2367 m,
    # I = 0.1535 kg m^2, fitted T_b = -2.073 N m (ours: +2.073, resisting flexion), B = 0.1729 N m s/rad.
    limb = LimbParams(mass=2.3351, com_distance=0.2367, inertia=0.1535, damping=0.1729, stiffness=0.0,
                      baseline_torque=2.073, limit_low_torque=0.0, limit_high_torque=0.0)
    release = measure(trial).release_time_s
    i0 = int(np.searchsorted(trial.time, release)) - 3  # start just before the detected release
    q0 = trial["angle"][i0]
    w0 = (trial["angle"][i0 + 1] - trial["angle"][i0 - 1]) / (trial.time[i0 + 1] - trial.time[i0 - 1])
    sim = simulate_passive(limb, initial_angle=q0, initial_velocity=w0, duration=5.0)
    t_data = trial.time[i0:] - trial.time[i0]
    keep = t_data <= 5.0
    simulated = np.interp(t_data[keep], sim.time, sim["angle"])
    rmse_deg = np.sqrt(np.mean((simulated - trial["angle"][i0:][keep]) ** 2)) / DEG
    assert rmse_deg < 5.0  # the acceptance: RMSE under 5 deg over the first 5 s
