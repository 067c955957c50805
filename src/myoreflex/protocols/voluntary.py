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

Simulation. :meth:`VoluntaryMovement.drive` gives the command to :func:`myoreflex.simulate` through
the simulator's command hook (:class:`~myoreflex.simulation.Drive` ``command``: a feedforward
excitation added to each muscle's excitation, ``excitation = clip(tone + command + reflex, 0, 1)``),
so the movement runs like every protocol (``simulate``, ``simulate_batch``, cohorts) under the same
physical-limit checks. :meth:`VoluntaryMovement.run` (and :func:`simulate_voluntary`) adds what the
measure reads beyond the simulated channels (:meth:`VoluntaryMovement.annotate`): the command as
``command_<muscle>`` channels, so that the stretched muscle's reflex EMG is told from its braking
command, and the mover, stretched muscle, direction and target in the metadata. Until the protocol
had the hook it ran its own scan and added the command to ``motoneuron.tone``, which the muscles'
short-range stiffness (scaled by the tonic torque) then counted as tone; the command is no tone now.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import ClassVar

import numpy as np

from myoreflex.errors import ProtocolError, describe
from myoreflex.protocols.base import Protocol, setting
from myoreflex.simulation import Drive, simulate
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

    def drive(self, joint: str) -> Drive:
        """A free movement from the start angle, driven by :meth:`command` (the simulator's command hook)."""
        self.check_joint(joint)
        return Drive(initial_angle=self.start_angle(joint), duration=self.onset + self.duration,
                     gravity_scale=JOINT_SETUP[joint]["gravity"], command=functools.partial(self.command, joint))

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

    def annotate(self, trial: Trial) -> Trial:
        """A simulated recording of this movement with what its measure reads beyond the simulated
        channels: ``command_<muscle>`` (the descending command at the Trial's times, 1) and metadata
        ``mover`` and ``stretched`` (muscle names), ``target_angle_deg`` and ``direction`` (+1 when the
        movement goes towards larger angles). The joint and muscle names come from the Trial (its
        ``joint`` metadata and ``emg_<muscle>`` channels, in the model's order: agonist, antagonist)."""
        joint = trial.metadata.get("joint")
        names = trial.emg_names()
        if joint not in JOINT_SETUP or len(names) != 2:
            raise ProtocolError(describe(f"{self.name} recording `{trial.source}`",
                                         f"a simulation of a joint among {', '.join(JOINT_SETUP)} with two EMG channels",
                                         f"joint {joint!r}, EMG {names}"))
        setup = JOINT_SETUP[joint]
        command = self.command(joint, trial.time)
        channels = {**trial.channels, **{f"command_{muscle}": Channel(command[:, i], "1") for i, muscle in enumerate(names)}}
        metadata = {**trial.metadata, "mover": names[setup["mover"]], "stretched": names[1 - setup["mover"]],
                    "target_angle_deg": self.target_angle(joint) / DEG, "direction": setup["direction"]}
        return Trial(time=trial.time, channels=channels, metadata=metadata, status=trial.status)

    def run(self, params, *, dt: float | None = None, record=None, throw: bool = True, **metadata) -> Trial:
        """``simulate(params, self, ...)`` with the command and the roles added (:meth:`annotate`)."""
        return self.annotate(simulate(params, self, dt=dt, record=record, throw=throw, metadata=metadata))

    @classmethod
    def measure(cls, trial: Trial, *, lenient: bool = False):  # no quality gates (yet)
        from myoreflex.measures.voluntary import measure

        return measure(trial)


def simulate_voluntary(params, protocol: VoluntaryMovement | None = None, *, dt: float | None = None,
                       throw: bool = True, metadata: dict | None = None) -> Trial:
    """``VoluntaryMovement().run(params)``: the movement simulated by :func:`myoreflex.simulate`, with
    the command and the muscles' roles added (:meth:`VoluntaryMovement.annotate`).

    Channels: ``angle``, ``angular_velocity``, ``torque`` (the muscles' net torque, N m),
    ``emg_<muscle>`` (excitation: command plus reflex), ``force_<muscle>`` (N) and
    ``command_<muscle>`` (the descending command, 1). A run that leaves the physical limits of the
    joint or its muscles raises :class:`~myoreflex.errors.SimulationFailed` (``throw=False``: the
    Trial's status says so; :func:`myoreflex.simulate`).
    """
    protocol = VoluntaryMovement() if protocol is None else protocol
    return protocol.run(params, dt=dt, throw=throw, **(metadata or {}))


__all__ = ["JOINT_SETUP", "VoluntaryMovement", "simulate_voluntary"]
