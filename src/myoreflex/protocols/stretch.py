"""Virtual motorized (isokinetic) stretch and manual (Ashworth-like) stretch.

Motorized stretch: a constant-velocity ramp with smooth corners from the start to the end angle
and a hold, at one velocity (NeuroFlexor: 5 and 236 deg/s, Lindberg et al. 2011; elbow ramps
15-150 deg/s, McPherson et al. 2019). The joint follows the motor exactly (prescribed kinematics)
in the horizontal plane; the recorded ``torque`` is the motor torque needed, i.e. the joint's
resistance plus inertia.

Manual stretch: one passive movement over the range in about 1 s with a minimum-jerk profile,
the "Ashworth condition" of de Vlugt et al. 2010.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from myoreflex.errors import ProtocolError, describe
from myoreflex.protocols._profiles import minimum_jerk, ramp_and_hold
from myoreflex.protocols.base import Protocol, setting
from myoreflex.trial import Trial
from myoreflex.units import DEG

if TYPE_CHECKING:
    from myoreflex.simulation import Drive

#: Default stretch range per joint (rad, in the joint convention of physiology.limb).
RANGES = {
    "elbow": (80 * DEG, 160 * DEG),  # McPherson et al. 2019 / SpasticMyoElbow healthy data: 80 -> 160 deg
    "wrist": (-20 * DEG, 30 * DEG),  # NeuroFlexor ~50 deg, from ~20 deg flexion to ~30 deg extension
    "ankle": (-20 * DEG, 15 * DEG),  # plantarflexion to dorsiflexion
    "knee": (20 * DEG, 110 * DEG),  # knee flexion, stretching the quadriceps
}


def _stretch_measure(trial: Trial):
    from myoreflex.measures.stretch import measure

    return measure(trial)


@dataclasses.dataclass(frozen=True)
class MotorizedStretch(Protocol):
    """One constant-velocity stretch (``velocity`` in rad/s > 0) over ``angles`` (rad; None: the joint's
    :data:`RANGES`), after ``rest_before`` s at rest and followed by a ``hold`` s."""

    name: ClassVar[str] = "motorized_stretch"
    reference: ClassVar[str] = ("Lindberg et al. 2011 (NeuroFlexor); McPherson et al. 2019; measures: peak "
                                "torque, EMG onset angle (DSRT, Levin & Feldman 1994)")

    # Bounds: from 1 deg/s, below the slowest clinical stretch (NeuroFlexor's 5 deg/s; an 80 deg range
    # then takes 80 s), to 2,865 deg/s, below the fastest human joint rotation
    # (myoreflex.physiology.limb.MAX_ANGULAR_VELOCITY).
    velocity: float = setting(dataclasses.MISSING, unit="rad/s", doc="stretch velocity", bounds=(1 * DEG, 50.0))
    angles: tuple[float, float] | None = None
    rest_before: float = setting(0.5, unit="s", doc="rest before the stretch starts", bounds=(0.0, 60.0))
    hold: float = setting(1.0, unit="s", doc="hold at the end angle", bounds=(0.0, 60.0))
    corner: float = setting(0.02, unit="s", doc="raised-cosine corners of the ramp", bounds=(1e-4, 1.0))

    def drive(self, joint: str) -> Drive:
        from myoreflex.simulation import Drive

        self.check_joint(joint)
        if not self.velocity > 0:
            raise ProtocolError(describe("stretch velocity", "a speed > 0 deg/s", f"{self.velocity / DEG:g} deg/s"))
        start, end = self.angles or RANGES[joint]
        if end <= start:
            raise ProtocolError(describe("stretch angles", "end angle above start angle", (start, end)))
        corner = min(self.corner, 0.5 * (end - start) / self.velocity)
        duration = self.rest_before + (end - start) / self.velocity + corner + self.hold

        def kinematics(t):
            return ramp_and_hold(t, start=start, end=end, velocity=self.velocity, onset=self.rest_before, corner=corner)

        return Drive(initial_angle=start, duration=duration, gravity_scale=0.0, kinematics=kinematics)

    def metadata(self) -> dict:
        return {**super().metadata(), "stretch_onset_s": self.rest_before}

    @classmethod
    def measure(cls, trial: Trial, *, lenient: bool = False):  # no quality gates (yet)
        return _stretch_measure(trial)


def stretch_series(params, velocities: Sequence[float], **kwargs) -> list[Trial]:
    """One :class:`MotorizedStretch` Trial per velocity (rad/s)."""
    return [MotorizedStretch(velocity=v).run(params, **kwargs) for v in velocities]


@dataclasses.dataclass(frozen=True)
class ManualStretch(Protocol):
    """An Ashworth-like manual stretch: minimum-jerk movement over the range in ``duration`` s."""

    name: ClassVar[str] = "manual_stretch"
    reference: ClassVar[str] = "de Vlugt et al. 2010 J NeuroEng Rehabil 7:35 (Ashworth condition); Flash & Hogan 1985"

    # From 0.1 s, a fast examiner's stretch (Tardieu's V3 over the range takes a few tenths of a
    # second): at 0.05 s a minimum-jerk movement over the elbow's 80 deg would peak at 3,000 deg/s,
    # the fastest human joint rotation (myoreflex.physiology.limb.MAX_ANGULAR_VELOCITY).
    duration: float = setting(1.0, unit="s", doc="movement time over the range", bounds=(0.1, 60.0))
    angles: tuple[float, float] | None = None
    rest_before: float = setting(0.5, unit="s", doc="rest before the movement starts", bounds=(0.0, 60.0))
    hold: float = setting(0.5, unit="s", doc="hold at the end angle", bounds=(0.0, 60.0))

    def drive(self, joint: str) -> Drive:
        from myoreflex.simulation import Drive

        self.check_joint(joint)
        if not self.duration > 0:
            raise ProtocolError(describe("manual stretch duration", "> 0 s", self.duration))
        start, end = self.angles or RANGES[joint]

        def kinematics(t):
            return minimum_jerk(t, start=start, end=end, duration=self.duration, onset=self.rest_before)

        total = self.rest_before + self.duration + self.hold
        return Drive(initial_angle=start, duration=total, gravity_scale=0.0, kinematics=kinematics)

    def metadata(self) -> dict:
        return {**super().metadata(), "movement_time_s": self.duration, "stretch_onset_s": self.rest_before}

    @classmethod
    def measure(cls, trial: Trial, *, lenient: bool = False):  # no quality gates (yet)
        return _stretch_measure(trial)
