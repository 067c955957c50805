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
from myoreflex.simulate import DEFAULT_RECORD, Drive, simulate
from myoreflex.trial import Trial


PENDULUM_DT = 8e-3
"""The pendulum test's integration step (s): halving it changes every pendulum metric by under 1 %
(tests/test_numerics.py). Over the condition presets (healthy, stroke 0.3/0.7, MS 0.5, CP 0.7/1.0,
SCI 1.0) the largest change from 8 to 4 ms is 0.49 % (first period, CP at severity 1), from 4 to
2 ms 0.21 % (``benchmarks/step_convergence.py``; benchmarks/RESULTS.md, run H). The swing
is slow (under 1.2 Hz); what limits the step is the reflex loop's timing, which the loop keeps to
first order exact (the efferent drive is read at the step's midpoint, see model.step), and the
stability of the limb's update with stiff tendons, which the integrator guards (model.step)."""


@dataclasses.dataclass(frozen=True)
class PendulumTest:
    """Release from ``release_angle`` (rad, knee flexion; 0 = full extension), swing ``duration`` s."""

    release_angle: float = 0.0
    duration: float = 10.0

    def drive(self) -> Drive:
        if not self.duration > 0.5:
            raise ProtocolError(describe("pendulum duration", "more than 0.5 s", self.duration))
        return Drive(initial_angle=self.release_angle, duration=self.duration, gravity_scale=1.0, step=PENDULUM_DT)

    def run(self, params: ReflexParams, *, dt: float | None = None, record=DEFAULT_RECORD, **metadata) -> Trial:
        """Simulate the test on ``params`` (a knee) and return the Trial (``dt`` None: :data:`PENDULUM_DT`)."""
        if params.joint != "knee":
            raise ProtocolError(describe("pendulum test joint", "knee", params.joint))
        meta = {"protocol": "pendulum", "release_angle_rad": self.release_angle, **metadata}
        return simulate(params, self.drive(), dt=dt, record=record, metadata=meta)
