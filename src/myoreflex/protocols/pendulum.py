"""Virtual pendulum (Wartenberg) test.

The subject sits with the thigh supported horizontally; the examiner lifts the shank to full knee
extension and releases it; the leg swings freely under gravity and the knee angle is recorded
(Wartenberg 1951; Bajd & Vodovnik 1984). Spastic quadriceps brake the first swing and shorten the
oscillations.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar

from myoreflex.protocols.base import Protocol, setting
from myoreflex.trial import Trial
from myoreflex.units import DEG, PENDULUM_DURATION_BOUNDS_S, PENDULUM_DURATION_S, PENDULUM_RELEASE_DEG

if TYPE_CHECKING:
    from myoreflex.simulation import Drive

PENDULUM_DT = 8e-3
"""The pendulum test's integration step (s): halving it changes every pendulum metric by under 1 %
(tests/test_numerics.py). Over the condition presets (healthy, stroke 0.3/0.7, MS 0.5, CP 0.7/1.0,
SCI 1.0) the largest change from 8 to 4 ms is 0.49 % (first period, CP at severity 1), from 4 to
2 ms 0.21 % (``benchmarks/step_convergence.py``; benchmarks/RESULTS.md, run H). The swing
is slow (under 1.2 Hz); what limits the step is the reflex loop's timing, which the loop keeps to
first order exact (the efferent drive is read at the step's midpoint, see model.step), and the
stability of the limb's update with stiff tendons, which the integrator guards (model.step)."""

CONVERGED_DT = 2e-3
"""The pendulum's step for models outside the cited presets (calibrations, the calibrated presets):
8 ms was shown converged for the presets only. A calibration free to raise the reflex gain finds
models whose fast, delayed loop 8 ms damps numerically: CP1's first calibration on the calibrated
healthy knee (gain x7.9) matched CP1 right on 8 of 8 measures at 8 ms, and at 4, 2 and 1 ms swung
with a first period of 0.54, 0.50 and 0.505 s against the 0.80 s it matched (issue 14). At 2 ms
halving the step changes that model's R1 by 0.008 and its period by 1 %."""


def preset_step(calibrated: bool) -> float | None:
    """The pendulum step for a preset: :data:`CONVERGED_DT` for the calibrated presets (fitted, and
    converged, there), else None (the protocol's own :data:`PENDULUM_DT`)."""
    return CONVERGED_DT if calibrated else None


@dataclasses.dataclass(frozen=True)
class PendulumTest(Protocol):
    """Release the shank from ``release_angle`` (rad, knee flexion; 0 = full extension) and let it
    swing for ``duration`` s.

    Examples
    --------
    >>> from myoreflex import PendulumTest, default_params
    >>> metrics = PendulumTest.measure(PendulumTest().run(default_params("knee")))
    >>> round(metrics.r1, 2), metrics.n_oscillations
    (1.67, 12)
    """

    name: ClassVar[str] = "pendulum"
    reference: ClassVar[str] = "Wartenberg 1951; Bajd & Vodovnik 1984; measures: ANCHORS 4.1, Bajd & Bowman 1982"
    joints: ClassVar[tuple[str, ...]] = ("knee",)
    default_dt: ClassVar[float] = PENDULUM_DT
    measured: ClassVar[tuple[str, ...]] = ("angle", "angular_velocity")
    measure_interval_s: ClassVar[float | None] = 0.01  # 100 Hz, a goniometer's rate; the swing lasts seconds

    release_angle: float = setting(PENDULUM_RELEASE_DEG * DEG, unit="rad",
                                   doc="knee flexion at release (0 = full extension)",
                                   bounds=(-0.35, 1.6))
    duration: float = setting(PENDULUM_DURATION_S, unit="s", doc="recorded swing after the release",
                              bounds=PENDULUM_DURATION_BOUNDS_S)
    held_still: float = setting(
        1.0, unit="1", bounds=(0.0, 1.0),
        doc="short-range stiffness present at release: 1 when the leg was held still before it (the usual "
            "test), 0 when it was moved up and down just before (Willaert et al. 2020's movement condition)")

    def drive(self, joint: str = "knee") -> Drive:
        from myoreflex.simulation import Drive

        self.check_joint(joint)
        return Drive(initial_angle=self.release_angle, duration=self.duration, gravity_scale=1.0,
                     short_range_bound=self.held_still)

    @classmethod
    def as_recorded(cls, release_angle: float, swing_s: float) -> PendulumTest:
        """The test as a recording made it: released from ``release_angle`` (rad) and swung ``swing_s``
        seconds after the release, clipped to the duration's bounds.

        >>> PendulumTest.as_recorded(0.3, 500.0).duration
        120.0
        """
        low, high = PENDULUM_DURATION_BOUNDS_S
        return cls(release_angle=release_angle, duration=min(max(float(swing_s), low), high))

    @classmethod
    def measure(cls, trial: Trial, *, lenient: bool = False):
        from myoreflex.measures.pendulum import measure

        return measure(trial, lenient=lenient)
