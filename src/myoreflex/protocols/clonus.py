"""Virtual ankle clonus test: a brisk passive dorsiflexion, then a steady push that holds it.

The clinical test: with the patient relaxed, the examiner dorsiflexes the foot briskly and keeps a
steady dorsiflexing pressure on the sole; a hyperexcitable triceps surae answers with rhythmic
reflex contractions, 5-7 Hz beats that last a few beats (unsustained) or as long as the push is
kept (sustained clonus). Instrumented, "ankle clonus was produced by manually forcing the ankle
into dorsiflexion and sustained with a bias force applied to the ball of the patient's foot", and
the clonus frequency changed with that force (Arch Phys Med Rehabil 1977 58:568); SCATS grades the
clonus after a rapid passive dorsiflexion by how long it lasts (Benz et al. 2005).

How it is simulated. The foot starts at rest at ``start_angle`` (default -10 deg, the ankle
preset's relaxed rest angle, ``limb.neutral_angle``) and from t = 0 a constant dorsiflexing push
acts on it, free otherwise (no prescribed motion): the push accelerates the foot into
dorsiflexion (the brisk stretch: about 350-450 deg/s in the spastic presets at the default push,
800 deg/s in a healthy foot, which no tone resists) and then holds it there, as the examiner's hand
does. The push is a constant moment at the ankle (:class:`myoreflex.simulation.Drive`'s
``external_torque``, N m on any body), on top of the foot's own weight.

The measure (:meth:`ClonusTest.measure`) is :func:`myoreflex.measures.clonus.measure` on the angle,
each beat confirmed by a burst of the stretched muscle's EMG when the recording has it: a healthy
foot pushed briskly rings mechanically for a few decaying beats (the foot's inertia on
its passive stiffness) with a silent triceps surae, which is not clonus.

The push needed. Clonus needs the foot held past the reflex threshold angle with the loop's gain
high; a weaker push does not overcome the spastic plantarflexors' tone and stiffness far enough,
and a stronger one gives a faster clonus (as the bias force did in the 1977 study). The default,
18 N m (about 120 N at the ball of the foot, 0.15 m from the ankle), is an assumption, no published
examiner force having been found; at it the spinal cord injury preset beats from severity 0.5
(sustained from 0.7) and the stroke preset is sustained from 0.7 (numbers per preset and push:
docs/clonus.md).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from myoreflex.protocols.base import Protocol, setting
from myoreflex.trial import Trial
from myoreflex.units import DEG

if TYPE_CHECKING:
    from myoreflex.simulation import Drive

@dataclasses.dataclass(frozen=True)
class ClonusTest(Protocol):
    """Push the relaxed foot from ``start_angle`` (rad, dorsiflexion positive) into dorsiflexion with a
    steady ``push`` (N m) and record ``duration`` s.

    Examples
    --------
    >>> from myoreflex import apply_condition, default_params
    >>> test = ClonusTest(duration=4.0)
    >>> sci = test.measure(test.run(apply_condition(default_params("ankle"), "spinal_cord_injury", 1.0)))
    >>> sci.clonus, 4.7 <= sci.frequency_hz <= 7.5
    (True, True)
    >>> test.measure(test.run(default_params("ankle"))).n_beats
    0
    """

    name: ClassVar[str] = "clonus"
    reference: ClassVar[str] = ("ankle clonus: brisk dorsiflexion held by a bias force (Arch Phys Med Rehabil 1977 "
                                "58:568; SCATS, Benz et al. 2005); measures: DeGowin & DeGowin 1987 (>= 3 beats, "
                                "sustained >= 10), Wallace et al. 2005 (SCI 4.7-7.0 Hz)")
    joints: ClassVar[tuple[str, ...]] = ("ankle",)
    record: ClassVar[tuple[str, ...]] = ("angle", "angular_velocity", "torque", "emg", "force", "ia")
    measured: ClassVar[tuple[str, ...]] = ("angle", "emg")
    measure_interval_s: ClassVar[float | None] = 0.005  # 200 Hz: 28-40 samples per 5-7 Hz beat

    push: float = setting(18.0, unit="N m", bounds=(0.0, 40.0),
                          doc="the examiner's steady dorsiflexing moment at the ankle (an assumption: module "
                              "notes), on top of the foot's weight")
    start_angle: float = setting(-10 * DEG, unit="rad", bounds=(-40 * DEG, 20 * DEG),
                                 doc="ankle angle at rest before the push (dorsiflexion positive; -10 deg: "
                                     "the ankle preset's relaxed rest)")
    duration: float = setting(12.0, unit="s", bounds=(0.5, 120.0),
                              doc="recorded push (longer than 10 s tells SCATS 3 and Tardieu 4 from shorter "
                                  "clonus)")

    def drive(self, joint: str = "ankle") -> Drive:
        from myoreflex.simulation import Drive

        self.check_joint(joint)
        push = self.push
        return Drive(initial_angle=self.start_angle, duration=self.duration,
                     external_torque=lambda t: np.full(t.shape, push))

    @classmethod
    def measure(cls, trial: Trial, *, lenient: bool = False):
        """:func:`myoreflex.measures.clonus.measure` of the angle, beats confirmed by the stretched
        muscle's EMG bursts when the Trial names its joint and has that muscle's EMG."""
        from myoreflex.measures.clonus import measure

        return measure(trial, bursts=_stretched_emg(trial), lenient=lenient)


def _stretched_emg(trial: Trial) -> str | None:
    """``emg_<agonist>`` of the Trial's joint when the Trial has it, else None."""
    from myoreflex.model import JOINTS, muscle_names

    if trial.joint not in JOINTS:
        return None
    name = f"emg_{muscle_names(trial.joint)[0]}"
    return name if name in trial else None
