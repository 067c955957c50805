"""The protocol's inputs to the loop (:class:`myoreflex.simulation.Drive` ``command`` and
``synaptic_input``): absent inputs leave a run unchanged, present ones act where they should."""

import dataclasses

import numpy as np
import pytest

from myoreflex import PendulumTest, default_params, simulate, simulate_batch, stack_params
from myoreflex.errors import ProtocolError
from myoreflex.simulation import Drive


@dataclasses.dataclass(frozen=True)
class WithInputs(PendulumTest):
    """A pendulum whose drive carries the given inputs (functions of the step times)."""

    command: object = None
    synaptic_input: object = None

    def drive(self, joint):
        base = super().drive(joint)
        return dataclasses.replace(base, command=self.command, synaptic_input=self.synaptic_input)


def pulse(start_s, end_s, agonist, antagonist=0.0):
    return lambda t: np.stack([np.where((t >= start_s) & (t < end_s), agonist, 0.0),
                               np.where((t >= start_s) & (t < end_s), antagonist, 0.0)], axis=-1)


@pytest.fixture(scope="module")
def knee():
    return default_params("knee")


def test_zero_inputs_leave_the_run_bit_identical(knee):
    plain = simulate(knee, PendulumTest(duration=2.0))
    zero = simulate(knee, WithInputs(duration=2.0, command=pulse(0, 0, 0.0), synaptic_input=pulse(0, 0, 0.0)))
    for name in plain.channels:
        np.testing.assert_array_equal(plain[name], zero[name])


def test_command_adds_to_the_excitation_without_delay(knee):
    trial = simulate(knee, WithInputs(duration=1.0, command=pulse(0.2, 0.3, 0.3)))
    plain = simulate(knee, PendulumTest(duration=1.0))
    t = trial.time
    inside = (t > 0.2005) & (t < 0.2015)
    extra = trial["emg_quadriceps"][inside] - plain["emg_quadriceps"][inside]
    assert np.all(extra > 0.25)  # the command's 0.3 (the reflex answers only after the loop delay)
    assert np.max(np.abs(trial["emg_hamstrings"][t < 0.2] - plain["emg_hamstrings"][t < 0.2])) == 0.0


def test_synaptic_input_reaches_the_muscle_after_the_efferent_delay(knee):
    trial = simulate(knee, WithInputs(duration=1.0, synaptic_input=pulse(0.2, 0.3, 400.0)))
    plain = simulate(knee, PendulumTest(duration=1.0))
    extra = trial["emg_quadriceps"] - plain["emg_quadriceps"]
    first = trial.time[np.argmax(extra > 1e-3)]
    assert 0.2 + 0.5 * knee.delays.efferent < first < 0.2 + knee.delays.efferent + 0.02
    assert extra.max() > 0.1


def test_batch_shares_the_inputs(knee):
    protocol = WithInputs(duration=1.0, command=pulse(0.2, 0.3, 0.3))
    batch = simulate_batch(stack_params([knee, knee]), protocol, record=("emg",))
    one = simulate(knee, protocol, record=("emg",))
    np.testing.assert_allclose(batch.trial(1)["emg_quadriceps"], one["emg_quadriceps"], rtol=1e-12, atol=1e-15)


def test_force_loop_refuses_a_synaptic_input():
    loop = default_params("knee", feedback="force")
    with pytest.raises(ProtocolError, match="synaptic input"):
        simulate(loop, WithInputs(duration=1.0, synaptic_input=pulse(0.2, 0.3, 400.0)))


def test_non_finite_input_is_refused(knee):
    with pytest.raises(ProtocolError, match="command"):
        simulate(knee, WithInputs(duration=1.0, command=lambda t: np.full((len(t), 2), np.nan)))


def test_drive_defaults_have_no_inputs():
    assert Drive(initial_angle=0.0, duration=1.0).command is None


@dataclasses.dataclass(frozen=True)
class Pushed(PendulumTest):
    """A pendulum with an examiner's moment on the leg."""

    push_nm: float = 0.0

    def drive(self, joint):
        return dataclasses.replace(super().drive(joint), external_torque=lambda t: np.full(t.shape, self.push_nm))


def test_external_torque_moves_the_rest_angle_by_push_over_stiffness(knee):
    # A constant moment on a free leg shifts where it settles; zero moment leaves the run unchanged.
    plain = simulate(knee, PendulumTest(duration=8.0))
    zero = simulate(knee, Pushed(duration=8.0, push_nm=0.0))
    np.testing.assert_array_equal(plain["angle"], zero["angle"])
    pushed = simulate(knee, Pushed(duration=8.0, push_nm=5.0))
    assert pushed["angle"][-1] > plain["angle"][-1] + 0.01  # pushed towards larger angles (flexion)
