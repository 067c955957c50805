"""Virtual pendulum (Wartenberg) test.

The subject sits with the thigh supported horizontally; the examiner lifts the shank to full knee
extension and releases it; the leg swings freely under gravity and the knee angle is recorded
(Wartenberg 1951; Bajd & Vodovnik 1984). Spastic quadriceps brake the first swing and shorten the
oscillations.
"""

from __future__ import annotations

import dataclasses

from myoreflex.errors import ProtocolError, describe
from myoreflex.model import ReflexParams
from myoreflex.simulate import DEFAULT_DT, DEFAULT_RECORD, Drive, simulate
from myoreflex.trial import Trial


@dataclasses.dataclass(frozen=True)
class PendulumTest:
    """Release from ``release_angle`` (rad, knee flexion; 0 = full extension), swing ``duration`` s."""

    release_angle: float = 0.0
    duration: float = 10.0

    def drive(self) -> Drive:
        if not self.duration > 0.5:
            raise ProtocolError(describe("pendulum duration", "more than 0.5 s", self.duration))
        return Drive(initial_angle=self.release_angle, duration=self.duration, gravity_scale=1.0)

    def run(self, params: ReflexParams, *, dt: float = DEFAULT_DT, record=DEFAULT_RECORD, **metadata) -> Trial:
        """Simulate the test on ``params`` (a knee) and return the Trial."""
        if params.joint != "knee":
            raise ProtocolError(describe("pendulum test joint", "knee", params.joint))
        meta = {"protocol": "pendulum", "release_angle_rad": self.release_angle, **metadata}
        return simulate(params, self.drive(), dt=dt, record=record, metadata=meta)
