"""Virtual motorized (isokinetic) stretch and manual (Ashworth-like) stretch.

Motorized stretch: a constant-velocity ramp with smooth corners from ``start_angle`` to
``end_angle`` and a hold, at each of a list of velocities (NeuroFlexor: 5 and 236 deg/s,
Lindberg et al. 2011; elbow ramps 15-150 deg/s, McPherson et al. 2019). The joint follows the
motor exactly (prescribed kinematics) in the horizontal plane; the recorded ``torque`` is the
motor torque needed, i.e. the joint's resistance plus inertia.

Manual stretch: one passive movement over the range in about 1 s with a minimum-jerk profile,
the "Ashworth condition" of de Vlugt et al. 2010.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from myoreflex.errors import ProtocolError, describe
from myoreflex.model import JOINTS, ReflexParams
from myoreflex.protocols._profiles import minimum_jerk, ramp_and_hold
from myoreflex.simulate import DEFAULT_RECORD, Drive, simulate
from myoreflex.trial import Trial
from myoreflex.units import DEG

#: Default stretch range per joint (rad, in the joint convention of physiology.limb).
RANGES = {
    "elbow": (80 * DEG, 160 * DEG),  # McPherson et al. 2019 / SpasticMyoElbow healthy data: 80 -> 160 deg
    "wrist": (-20 * DEG, 30 * DEG),  # NeuroFlexor ~50 deg, from ~20 deg flexion to ~30 deg extension
    "ankle": (-20 * DEG, 15 * DEG),  # plantarflexion to dorsiflexion
    "knee": (20 * DEG, 110 * DEG),  # knee flexion, stretching the quadriceps
}


def _check_joint(params: ReflexParams):
    if params.joint not in JOINTS:
        raise ProtocolError(describe("joint", f"one of {', '.join(JOINTS)}", params.joint))


@dataclasses.dataclass(frozen=True)
class MotorizedStretch:
    """One constant-velocity stretch (``velocity`` in rad/s > 0) over ``angles`` (rad) with holds."""

    velocity: float
    angles: tuple[float, float] | None = None
    rest_before: float = 0.5
    hold: float = 1.0
    corner: float = 0.02

    def drive(self, joint: str) -> Drive:
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

    def run(self, params: ReflexParams, *, dt: float | None = None, record=DEFAULT_RECORD, **metadata) -> Trial:
        _check_joint(params)
        meta = {"protocol": "motorized_stretch", "velocity_deg_s": self.velocity / DEG,
                "stretch_onset_s": self.rest_before, **metadata}
        return simulate(params, self.drive(params.joint), dt=dt, record=record, metadata=meta)


def stretch_series(params: ReflexParams, velocities: Sequence[float], **kwargs) -> list[Trial]:
    """One :class:`MotorizedStretch` Trial per velocity (rad/s)."""
    return [MotorizedStretch(velocity=v).run(params, **kwargs) for v in velocities]


@dataclasses.dataclass(frozen=True)
class ManualStretch:
    """An Ashworth-like manual stretch: minimum-jerk movement over the range in ``duration`` s."""

    duration: float = 1.0
    angles: tuple[float, float] | None = None
    rest_before: float = 0.5
    hold: float = 0.5

    def drive(self, joint: str) -> Drive:
        if not self.duration > 0:
            raise ProtocolError(describe("manual stretch duration", "> 0 s", self.duration))
        start, end = self.angles or RANGES[joint]

        def kinematics(t):
            return minimum_jerk(t, start=start, end=end, duration=self.duration, onset=self.rest_before)

        total = self.rest_before + self.duration + self.hold
        return Drive(initial_angle=start, duration=total, gravity_scale=0.0, kinematics=kinematics)

    def run(self, params: ReflexParams, *, dt: float | None = None, record=DEFAULT_RECORD, **metadata) -> Trial:
        _check_joint(params)
        meta = {"protocol": "manual_stretch", "movement_time_s": self.duration,
                "stretch_onset_s": self.rest_before, **metadata}
        return simulate(params, self.drive(params.joint), dt=dt, record=record, metadata=meta)
