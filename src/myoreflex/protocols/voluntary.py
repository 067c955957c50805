"""Voluntary movement under spasticity: a fast elbow or knee extension driven by a descending command.

The subject moves on purpose, as fast as possible, from rest towards a target ``amplitude`` away:
an elbow extension (arm supported in the horizontal plane, from 80 deg) or a seated knee extension
(against gravity, from 90 deg). The descending command follows the triphasic pattern of fast
single-joint movements (Hallett, Shahani & Young 1975 J Neurol Neurosurg Psychiatry 38:1154): a
burst to the muscle that shortens (the *mover*: triceps at the elbow, quadriceps at the knee), a
braking burst to the muscle that is stretched (elbow flexors, hamstrings), and a holding level of
the mover at the target. The command is feedforward and the same for every subject; the stretched
muscle's stretch reflex is in the loop, so a released (spastic) reflex brakes the movement and its
threshold limits the range the subject controls (Levin & Feldman 1994 Brain Res 657:23; Levin et al.
2000 Exp Brain Res 131:66).

Command to muscle ``m`` (excitation, 1): ``c_m(t) = sum_k A_k w(t; t_k, T_k)`` with raised-cosine
windows ``w`` of 20 ms edges (the agonist burst, the antagonist burst, the mover's hold from the end
of its burst). It adds to the loop's excitation, as the feedforward excitation of the musculoskeletal
reflex models does (excitation = feedforward + reflex feedback: Falisse et al. 2018 PLOS ONE
13:e0208811; De Groote et al. 2018). Sizes: chosen so that a healthy adult elbow reaches its 60 deg
target in about 0.3 s with a small overshoot, peak velocity of a few hundred deg/s, the range of
fast single-joint elbow movements (Gottlieb et al. 1989 J Neurophysiol 62:342); ASSUMPTION for
each level.

Simulator hook. :func:`myoreflex.simulation.simulate` has no time-varying descending command yet
(:class:`~myoreflex.simulation.Drive` imposes kinematics or a free swing only), so this protocol
runs its own scan of :func:`myoreflex.model.step` (:func:`simulate_voluntary`, also
``VoluntaryMovement().run(params)``), adding the command to ``motoneuron.tone`` step by step (the
loop's excitation is ``clip(tone + feedback, 0, 1)``). One side effect until the hook exists: the
muscles' short-range stiffness, which scales with the tonic torque, counts the command as tone.
``drive()`` raises :class:`~myoreflex.errors.NotSupported` rather than run without the command.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from myoreflex import model, runtime
from myoreflex.errors import NotSupported, ProtocolError, SimulationFailed, Status, describe
from myoreflex.params import batch_size, validate
from myoreflex.physiology import limb as limb_mod
from myoreflex.protocols.base import Protocol, setting
from myoreflex.simulation import Drive, check_kinematics, check_resources
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG

#: Per joint: start angle (rad), direction of the movement in +q (extension), gravity scale,
#: index of the mover in (agonist, antagonist) of :mod:`myoreflex.model`.
JOINT_SETUP = {
    "elbow": {"start": 80 * DEG, "direction": +1.0, "gravity": 0.0, "mover": 1},  # triceps extends, flexors stretched
    "knee": {"start": 90 * DEG, "direction": -1.0, "gravity": 1.0, "mover": 0},  # quadriceps extends, hamstrings stretched
}
EDGE = 0.02
"""Raised-cosine edges of each command window (s): the rise time of a fast agonist burst (ASSUMPTION)."""


def _window(t, start: float, length: float, edge: float = EDGE) -> np.ndarray:
    """1 on [start, start + length] with raised-cosine edges of ``edge`` s outside it, 0 elsewhere."""
    t = np.asarray(t, dtype=float)
    rise = np.clip((t - start + edge) / edge, 0.0, 1.0)
    fall = np.clip((start + length + edge - t) / edge, 0.0, 1.0)
    return 0.5 * (1 - np.cos(np.pi * rise)) * 0.5 * (1 - np.cos(np.pi * fall))


@dataclasses.dataclass(frozen=True)
class VoluntaryMovement(Protocol):
    """A fast voluntary extension of ``amplitude`` (rad) from the joint's start angle, with the
    triphasic command of the module doc: ``burst`` (1) for ``burst_time`` s to the mover,
    ``brake`` (1) for ``brake_time`` s to the stretched muscle, then ``hold`` (1) to the mover.

    Examples
    --------
    >>> from myoreflex import default_params
    >>> trial = VoluntaryMovement(duration=0.8).run(default_params("elbow"))
    >>> result = VoluntaryMovement.measure(trial)
    >>> 200 < result.peak_velocity_deg_s < 1500, 40 < result.range_deg < 80
    (True, True)
    """

    name: ClassVar[str] = "voluntary"
    reference: ClassVar[str] = ("Hallett et al. 1975 (triphasic command); Levin & Feldman 1994, Levin et al. 2000 "
                                "(active range limited by the stretch-reflex threshold); measures: "
                                "myoreflex.measures.voluntary")
    joints: ClassVar[tuple[str, ...]] = tuple(JOINT_SETUP)
    record: ClassVar[tuple[str, ...]] = ("angle", "angular_velocity", "torque", "emg", "force")
    measured: ClassVar[tuple[str, ...]] = ("angle", "angular_velocity", "emg")

    amplitude: float = setting(60 * DEG, unit="rad", doc="target distance from the start angle", bounds=(5 * DEG, 120 * DEG))
    burst: float = setting(0.4, unit="1", doc="mover's command during its burst (excitation)", bounds=(0.0, 1.0))
    burst_time: float = setting(0.07, unit="s", doc="length of the mover's burst", bounds=(0.01, 1.0))
    brake: float = setting(0.15, unit="1", doc="stretched muscle's braking command (excitation)", bounds=(0.0, 1.0))
    brake_time: float = setting(0.06, unit="s", doc="length of the braking burst", bounds=(0.0, 1.0))
    hold: float = setting(0.06, unit="1", doc="mover's holding command after its burst", bounds=(0.0, 1.0))
    onset: float = setting(0.2, unit="s", doc="rest before the command starts", bounds=(0.05, 10.0))
    duration: float = setting(1.2, unit="s", doc="recorded after the command starts", bounds=(0.2, 20.0))

    def start_angle(self, joint: str) -> float:
        return JOINT_SETUP[joint]["start"]

    def target_angle(self, joint: str) -> float:
        setup = JOINT_SETUP[joint]
        return setup["start"] + setup["direction"] * self.amplitude

    def movement(self, joint: str) -> Drive:
        """What the test imposes besides the command: a free movement from the start angle."""
        self.check_joint(joint)
        return Drive(initial_angle=self.start_angle(joint), duration=self.onset + self.duration,
                     gravity_scale=JOINT_SETUP[joint]["gravity"])

    def drive(self, joint: str) -> Drive:
        """Not yet: :func:`myoreflex.simulate` cannot pass a descending command (module doc)."""
        raise NotSupported(describe(
            "simulate(params, VoluntaryMovement())", "a simulator with a descending-command hook",
            "a Drive without one", "use VoluntaryMovement().run(params) or myoreflex.protocols.voluntary.simulate_voluntary"))

    def command(self, joint: str, t) -> np.ndarray:
        """The descending command to both muscles at times ``t`` (s): shape (len(t), 2), columns
        (agonist, antagonist) of :mod:`myoreflex.model` (excitation, 1)."""
        self.check_joint(joint)
        mover = JOINT_SETUP[joint]["mover"]
        t = np.asarray(t, dtype=float)
        first = self.burst * _window(t, self.onset, self.burst_time)
        after = self.onset + self.burst_time
        hold = self.hold * _window(t, after, math.inf)
        brake = self.brake * _window(t, after, self.brake_time) if self.brake_time > 0 else np.zeros_like(t)
        out = np.zeros((t.size, 2))
        out[:, mover] = np.maximum(first, hold)
        out[:, 1 - mover] = brake
        return out

    def metadata(self) -> dict:
        return {**super().metadata(), "movement_onset_s": self.onset}

    def run(self, params, *, dt: float | None = None, record=None, **metadata) -> Trial:
        """:func:`simulate_voluntary` on one subject."""
        return simulate_voluntary(params, self, dt=dt, metadata=metadata)

    @classmethod
    def measure(cls, trial: Trial, *, lenient: bool = False):  # no quality gates (yet)
        from myoreflex.measures.voluntary import measure

        return measure(trial)


@functools.lru_cache(maxsize=16)
def _compiled(dt: float, gravity_scale: float):
    def run(params, angle0, command):
        n_buffer = model.buffer_length(dt)
        tone = params.motoneuron.tone
        still = (jnp.zeros(()), jnp.zeros(()), jnp.zeros(()))

        def one(carry, u):
            state, count = carry
            # The command joins the tone for this step: excitation = clip(tone + u + feedback, 0, 1).
            moved = eqx.tree_at(lambda p: p.motoneuron.tone, params, tone + u)
            state, obs = model.step(moved, state, still, count % n_buffer, dt, prescribed=False,
                                    gravity_scale=gravity_scale)
            return (state, count + 1), (obs.angle, obs.angular_velocity, obs.torque, obs.excitation, obs.force)

        carry = (model.initial_state(params, angle0, dt), jnp.asarray(1, dtype=jnp.int32))
        _, outputs = jax.lax.scan(one, carry, command)
        return outputs

    return runtime.jit(run)


@runtime.float64
def simulate_voluntary(params, protocol: VoluntaryMovement | None = None, *, dt: float | None = None,
                       throw: bool = True, metadata: dict | None = None) -> Trial:
    """Run a :class:`VoluntaryMovement` on one subject's parameters and return the recording.

    Channels: ``angle``, ``angular_velocity``, ``torque`` (the muscles' net torque, N m),
    ``emg_<muscle>`` (excitation: command plus reflex), ``force_<muscle>`` (N) and
    ``command_<muscle>`` (the descending command, 1). Metadata: the protocol's settings, ``mover``
    and ``stretched`` (muscle names), ``movement_onset_s``, ``target_angle_deg``, ``direction``
    (+1 when the movement goes towards larger angles). A run that leaves the joint's range of
    motion or turns non-finite raises :class:`~myoreflex.errors.SimulationFailed` (``throw=False``:
    the Trial's status says so).
    """
    protocol = VoluntaryMovement() if protocol is None else protocol
    if batch_size(params) is not None:
        raise ProtocolError(describe("simulate_voluntary params", "one parameter set", "a batch"))
    validate(params)
    joint = params.joint
    drive = protocol.movement(joint)
    dt = protocol.default_dt if dt is None else float(dt)
    n_steps = check_resources(protocol.name, drive.duration, dt, 1, protocol.record)
    check_kinematics(protocol.name, joint, drive.initial_angle)
    time = np.arange(1, n_steps + 1) * dt
    command = protocol.command(joint, time)
    run = _compiled(dt, float(drive.gravity_scale))
    angle, velocity, torque, excitation, force = (np.asarray(x) for x in run(params, float(drive.initial_angle), command))
    low, high = limb_mod.plausible_range(joint)
    finite = all(np.all(np.isfinite(x)) for x in (angle, velocity, torque, excitation, force))
    inside = finite and low <= angle.min() and angle.max() <= high
    status = Status.OK if inside else (Status.DIVERGED if finite else Status.NONFINITE)
    setup = JOINT_SETUP[joint]
    names = params.muscle_names
    meta = {"source": "myoreflex simulation", "protocol": protocol.name, "joint": joint, "dt_s": dt,
            "rate_hz": 1.0 / dt, **protocol.metadata(), "mover": names[setup["mover"]],
            "stretched": names[1 - setup["mover"]], "target_angle_deg": protocol.target_angle(joint) / DEG,
            "direction": setup["direction"], **(metadata or {})}
    if status is not Status.OK:
        message = describe("voluntary movement", "a finite run inside the joint's range of motion",
                           "NaN or inf" if not finite else f"angles {angle.min() / DEG:.4g} to {angle.max() / DEG:.4g} deg")
        if throw:
            raise SimulationFailed(message)
        meta["failure"] = message
    channels = {"angle": Channel(angle, "rad"), "angular_velocity": Channel(velocity, "rad/s"),
                "torque": Channel(torque, "N m")}
    for i, muscle in enumerate(names):
        channels[f"emg_{muscle}"] = Channel(excitation[:, i], "1")
        channels[f"force_{muscle}"] = Channel(force[:, i], "N")
        channels[f"command_{muscle}"] = Channel(command[:, i], "1")
    return Trial(time=time, channels=channels, metadata=meta, status=status)


__all__ = ["JOINT_SETUP", "VoluntaryMovement", "simulate_voluntary"]
