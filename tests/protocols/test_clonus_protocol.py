"""The virtual ankle clonus test: no clonus in a healthy ankle, clonus at the published frequency in
the spastic presets, and the protocol contract (settings, registry, joints, the push).

Reference numbers (the tolerance of each test is the published spread, said where it is used):

- chronic cervical spinal cord injury: mean clonus frequency 4.7-7.0 Hz across subjects (Wallace,
  Ross & Thomas 2005 J Appl Physiol 99:2166, n = 6);
- spastic patients: clonus half-period 79.3 +- 12.3 ms, i.e. 5.45-7.46 Hz within one SD (J Electromyogr
  Kinesiol 2011, doi:10.1016/j.jelekin.2010.11.005, n = 11).

The presets are being recalibrated (the SCI motor neuron's persistent inward current), so these tests
assert what the clinical picture requires, not the model's current numbers: clonus or not, sustained
or not, and the frequency inside the published range.
"""

import numpy as np
import pytest

from myoreflex import apply_condition, default_params
from myoreflex.errors import ProtocolError
from myoreflex.protocols import PROTOCOLS, from_settings, settings
from myoreflex.protocols.clonus import ClonusTest
from myoreflex.units import DEG

WALLACE_SCI_HZ = (4.7, 7.0)
SPASTIC_ONE_SD_HZ = (1 / (2 * (0.07934 + 0.01231)), 1 / (2 * (0.07934 - 0.01231)))  # 5.45-7.46 Hz
TEST = ClonusTest(duration=4.0)  # 4 s: about 25 beats at 6 Hz, enough for SUSTAINED_BEATS = 10


@pytest.fixture(scope="module")
def ankle():
    return default_params("ankle")


def run(params, test=TEST):
    trial = test.run(params)
    return trial, test.measure(trial)


def test_a_healthy_ankle_has_no_clonus_only_a_mechanical_ring(ankle):
    trial, out = run(ankle)
    assert not out.clonus and out.n_beats == 0 and out.scats_clonus == 0
    assert out.bursts_channel == "emg_triceps_surae"
    # The foot does ring after the brisk push (its inertia on the passive stiffness), but the muscle
    # stays silent (at its resting tone) and the ring dies out: no reflex contraction, no clonus.
    emg = trial["emg_triceps_surae"]
    assert np.ptp(emg) < 0.01
    ring = ClonusTest.measure(trial.with_metadata(joint=None))  # the angle alone
    assert not ring.sustained and ring.decay_ratio < 0.6


def test_the_spinal_cord_injury_preset_beats_at_the_published_frequency(ankle):
    _, out = run(apply_condition(ankle, "spinal_cord_injury", 1.0))
    assert out.clonus and out.sustained and out.still_beating_at_end
    assert WALLACE_SCI_HZ[0] <= out.frequency_hz <= WALLACE_SCI_HZ[1], out.frequency_hz
    assert out.decay_ratio == pytest.approx(1.0, abs=0.05)  # a limit cycle, not a dying ring


def test_the_stroke_preset_at_high_severity_beats_at_the_spastic_patients_frequency(ankle):
    _, out = run(apply_condition(ankle, "stroke", 1.0))
    assert out.clonus and out.n_beats >= 10
    assert SPASTIC_ONE_SD_HZ[0] <= out.frequency_hz <= SPASTIC_ONE_SD_HZ[1], out.frequency_hz


def test_clonus_grows_with_severity(ankle):
    beats = [run(apply_condition(ankle, "spinal_cord_injury", s))[1].n_beats for s in (0.0, 0.3, 1.0)]
    assert beats[0] == 0 and beats[0] <= beats[1] <= beats[2] and beats[2] >= 10, beats


def test_the_protocol_keeps_the_contract(ankle):
    assert PROTOCOLS["clonus"] is ClonusTest and ClonusTest.joints == ("ankle",)
    names = [info.edge_name for info in settings(ClonusTest)]
    assert names == ["push_nm", "start_angle_deg", "duration_s"]
    # The push and duration of TEST: the compiled run is reused (a new push or length compiles anew).
    test = from_settings(ClonusTest, {"push_nm": 18.0, "start_angle_deg": -20.0, "duration_s": 4.0})
    assert test.push == 18.0 and test.start_angle == pytest.approx(-20 * DEG)
    with pytest.raises(ProtocolError, match=r"clonus setting `push_nm`: expected a value in \[0, 40\] N m"):
        ClonusTest(push=100.0)
    with pytest.raises(ProtocolError, match="knee"):
        test.run(default_params("knee"))
    trial = test.run(ankle)
    assert trial.metadata["protocol"] == "clonus" and trial.metadata["push_nm"] == 18.0
    assert trial.time[-1] == pytest.approx(4.0) and trial["angle"][0] == pytest.approx(-20 * DEG, abs=1e-3)


def test_the_push_is_a_constant_external_moment_on_a_free_foot():
    drive = ClonusTest(push=18.0).drive("ankle")
    np.testing.assert_array_equal(drive.external_torque(np.arange(1, 4) * 1e-3), np.full(3, 18.0))
    assert drive.gravity_scale == 1.0  # the foot's own weight acts as well
    assert drive.kinematics is None and drive.initial_angle == pytest.approx(-10 * DEG)  # a free foot
