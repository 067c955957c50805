"""Virtual motorized stretches: velocity dependence, reflex onset, and the stroke elbow curve shape."""

import numpy as np
import pytest

from myoreflex.conditions import apply_condition
from myoreflex.errors import ProtocolError
from myoreflex.measures.stretch import measure
from myoreflex.model import default_params
from myoreflex.protocols.stretch import ManualStretch, MotorizedStretch
from myoreflex.units import DEG

VELOCITIES = (5.0, 100.0, 236.0)  # deg/s: NeuroFlexor slow/fast (Lindberg 2011) and one between


def _series(params):
    return [measure(MotorizedStretch(velocity=v * DEG).run(params)) for v in VELOCITIES]


@pytest.fixture(scope="module")
def healthy_elbow():
    return _series(default_params("elbow"))


@pytest.fixture(scope="module")
def stroke_elbow():
    return _series(apply_condition(default_params("elbow"), "stroke", 0.7))


@pytest.mark.reference
def test_healthy_has_no_reflex_when_slow_and_little_when_fast(healthy_elbow):
    slow, _, fast = healthy_elbow
    # Relaxed healthy muscle shows no tonic stretch reflex (Yeo et al. 1998; ANCHORS 6, TSRT outside ROM).
    assert slow.emg_onset_angle_deg is None
    assert slow.peak_emg < 0.02
    # "little" at 236 deg/s: below 5 % of maximal excitation.
    assert fast.peak_emg < 0.05


# The EMG-onset angle reads TSRT - (mu - d) v for a loop latency d (measures/threshold.py notes): it comes
# earlier with velocity only while the reflex's velocity sensitivity mu exceeds d. Since the fusimotor
# change became opt-in (issue 14), mu of the spastic ankle presets is below the ankle's 32 ms latency:
# the onset moves 12.2 -> 12.8 deg from 100 to 236 deg/s. Published ankle DSRTs fall with velocity
# (ANCHORS 6), so the presets' sizes must restore mu > d (issue 14 item 3, calibration); until then these
# two cases are strict expected failures, which fail the day they pass.
ANKLE_MU_BELOW_LATENCY = pytest.mark.xfail(strict=True, reason="spastic ankle presets: mu below the 32 ms loop "
                                           "latency since the fusimotor change is opt-in (issue 14)")


@pytest.mark.reference
@pytest.mark.parametrize("joint,condition", [
    ("elbow", "stroke"), ("wrist", "stroke"),
    pytest.param("ankle", "spinal_cord_injury", marks=ANKLE_MU_BELOW_LATENCY),
    ("elbow", "multiple_sclerosis"),
    pytest.param("ankle", "cerebral_palsy", marks=ANKLE_MU_BELOW_LATENCY)])
def test_spastic_resistance_rises_with_velocity_and_onset_comes_earlier(joint, condition):
    rows = _series(apply_condition(default_params(joint), condition, 0.7))
    torques = [r.peak_torque_nm for r in rows]
    emgs = [r.peak_emg for r in rows]
    assert torques[0] < torques[1] < torques[2]
    assert emgs[0] < emgs[1] < emgs[2]
    onsets = [r.emg_onset_angle_deg for r in rows[1:]]
    assert None not in onsets
    # Velocity-dependent threshold (lambda model, ANCHORS 6): DSRT = TSRT - mu * velocity.
    assert onsets[1] < onsets[0]


def test_stroke_elbow_torque_angle_curve_has_the_mcpherson_shape(data_dir):
    reference = np.loadtxt(data_dir / "elbow-stretch-spasticmyoelbow" / "data" / "ref_data_1.csv", delimiter=",")
    reference = reference[np.argsort(reference[:, 0])]
    trial = MotorizedStretch(velocity=100 * DEG).run(apply_condition(default_params("elbow"), "stroke", 0.7))
    # The constant-velocity phase (McPherson's curves carry no motor-start inertial spike).
    moving = trial["angular_velocity"] >= 0.98 * trial["angular_velocity"].max()
    angle_deg, torque = trial["angle"][moving] / DEG, trial["torque"][moving]
    rising = angle_deg <= reference[np.argmax(reference[:, 1]), 0]  # up to the reference peak (~136 deg)
    angle_deg, torque = angle_deg[rising], torque[rising]
    torque = torque - torque[0]  # resistance added by the stretch
    # Flat, then rising past a threshold: the threshold (first angle above 10 % of the peak) lies
    # near the reference's (~91-95 deg, McPherson et al. 2019 via SpasticMyoElbow), within 15 deg.
    threshold = angle_deg[np.argmax(torque > 0.1 * torque.max())]
    ref_threshold = reference[np.argmax(reference[:, 1] > 0.1 * reference[:, 1].max()), 0]
    assert abs(threshold - ref_threshold) < 15
    # Shape: the two curves correlate over the reference's rising range.
    simulated = np.interp(reference[:, 0], angle_deg, torque)
    window = (reference[:, 0] >= 80) & (reference[:, 0] <= 136)
    assert np.corrcoef(simulated[window], reference[window, 1])[0, 1] > 0.9
    # Order of magnitude: peak within a factor 2 of the reference 7.2 N m.
    assert 3.6 < torque.max() < 14.4


def test_bad_velocity_and_angles_are_refused():
    with pytest.raises(ProtocolError, match="velocity"):
        MotorizedStretch(velocity=0.0).drive("elbow")
    with pytest.raises(ProtocolError, match="angles"):
        MotorizedStretch(velocity=1.0, angles=(1.0, 0.5)).drive("elbow")


def test_manual_stretch_moves_over_the_range_in_about_one_second():
    trial = ManualStretch().run(default_params("elbow"))
    angle = trial["angle"] / DEG
    assert angle[0] == pytest.approx(80, abs=0.5) and angle[-1] == pytest.approx(160, abs=0.5)
    moving = np.abs(trial["angular_velocity"]) > 1 * DEG
    assert 0.9 < np.ptp(trial.time[moving]) < 1.05


def test_falisse_force_feedback_loop_gives_velocity_dependent_reflex():
    healthy = _series(default_params("elbow", feedback="force"))
    assert all(r.emg_onset_angle_deg is None for r in healthy)  # zero feedback gains when healthy
    rows = _series(apply_condition(default_params("elbow", feedback="force"), "stroke", 0.7))
    emgs = [r.peak_emg for r in rows]
    torques = [r.peak_torque_nm for r in rows]
    assert emgs[0] < emgs[1] < emgs[2] and torques[0] < torques[1] < torques[2]
    assert emgs[2] < 1.0  # not saturated: the force-rate gain stays in the stable range
