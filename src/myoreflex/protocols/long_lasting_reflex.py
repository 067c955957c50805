"""Long-lasting reflex: a brief stimulus at rest and the discharge that outlasts it.

After chronic spinal cord injury a brief sensory stimulus (a short train of cutaneous or electrical
stimuli) evokes a reflex that outlasts it by seconds, the long-lasting reflex (LLR) that underlies
muscle spasms: the stimulus's long polysynaptic EPSP switches on the motor neurons' persistent
inward currents, which keep them firing after it ends (Bennett et al. 2001 J Neurophysiol 86:1972
and Bennett et al. 2004 J Neurophysiol 91:2247 in chronic spinal rats; Norton et al. 2008 Brain
131:1478 in people with SCI; Murray et al. 2010 Nat Med 16:694; ANCHORS 7.2). In people without
a lesion the same stimulus gives at most a brief reflex.

The virtual test: the limb is held still at ``angle`` (isometric: the recorded ``torque`` is the
spasm's torque on the holding device, and no movement changes the afferent input), the subject at
rest. After ``rest_before`` s a ``stimulus`` (pps of Ia-equivalent synaptic input, the net EPSP the
stimulus train gives the tested muscle's pool) lasts ``stimulus_duration`` s, added to the pool's net
input (:class:`myoreflex.simulation.Drive` ``synaptic_input``); the recording goes on for ``duration``
s after it. Optionally an ``inhibition`` (pps of inhibitory synaptic input at the same pool, e.g. the
reciprocal Ia inhibition of an antagonist-nerve stimulus) starts ``inhibition_onset`` s after the
stimulus ends: enough of it switches the plateau off (:mod:`myoreflex.physiology.motoneuron`).

:meth:`LongLastingReflex.measure` gives how long the reflex outlasts the stimulus
(:func:`myoreflex.measures.long_lasting_reflex.measure`). The stimulus is idealised: a rectangular
synaptic input to the agonist pool only, without the cutaneous reflex's own pathways (flexion
reflex interneurons, crossed effects) or the EPSP's own slow decay; its size is an ASSUMPTION,
chosen to recruit the spinal-cord-injury preset's pool at every joint and to stay below a healthy
pool's threshold at rest.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from myoreflex.protocols.base import Protocol, setting
from myoreflex.protocols.stretch import RANGES
from myoreflex.trial import Trial

if TYPE_CHECKING:
    from myoreflex.simulation import Drive

LLR_SOURCES = ("Bennett et al. 2001 J Neurophysiol 86:1972; Bennett et al. 2004 J Neurophysiol 91:2247; Norton et "
               "al. 2008 Brain 131:1478; Murray et al. 2010 Nat Med 16:694 (long-lasting reflexes after chronic SCI)")


@dataclasses.dataclass(frozen=True)
class LongLastingReflex(Protocol):
    """A ``stimulus`` (pps) of ``stimulus_duration`` s at the tested (agonist) muscle's pool after
    ``rest_before`` s, the limb held at ``angle`` (rad; None: the middle of the joint's stretch range,
    :data:`myoreflex.protocols.stretch.RANGES`), recorded ``duration`` s after the stimulus ends.

    Examples
    --------
    >>> from myoreflex import default_params
    >>> from myoreflex.conditions import apply_condition
    >>> test = LongLastingReflex(duration=2.0)
    >>> healthy = test.measure(test.run(default_params("knee")))
    >>> sci = test.measure(test.run(apply_condition(default_params("knee"), "spinal_cord_injury", 0.7)))
    >>> healthy.duration_s < 0.2, sci.duration_s >= 1.0
    (True, True)
    """

    name: ClassVar[str] = "long_lasting_reflex"
    reference: ClassVar[str] = LLR_SOURCES + "; measure: myoreflex.measures.long_lasting_reflex"
    record: ClassVar[tuple[str, ...]] = ("angle", "torque", "emg", "force", "ia")
    measured: ClassVar[tuple[str, ...]] = ("emg",)

    stimulus: float = setting(
        80.0, unit="Hz", bounds=(0.0, 2000.0),
        doc="synaptic input of the stimulus at the tested muscle's pool, in pps of Ia-equivalent input (ASSUMPTION)")
    stimulus_duration: float = setting(0.1, unit="s", doc="length of the stimulus", bounds=(0.001, 5.0))
    rest_before: float = setting(0.5, unit="s", doc="rest before the stimulus", bounds=(0.05, 60.0))
    duration: float = setting(4.0, unit="s", doc="recorded after the stimulus ends", bounds=(0.2, 120.0))
    angle: float | None = None  # rad; None: the middle of the joint's stretch range (not a setting: per joint)
    inhibition: float = setting(
        0.0, unit="Hz", bounds=(0.0, 2000.0),
        doc="inhibitory synaptic input at the tested muscle's pool, in pps (0: none)")
    inhibition_onset: float = setting(1.0, unit="s", doc="start of the inhibition after the stimulus ends",
                                      bounds=(0.0, 120.0))
    inhibition_duration: float = setting(0.1, unit="s", doc="length of the inhibition", bounds=(0.001, 5.0))

    def held_angle(self, joint: str) -> float:
        """The angle the limb is held at (rad)."""
        if self.angle is not None:
            return float(self.angle)
        low, high = RANGES[joint]
        return 0.5 * (low + high)

    @property
    def stimulus_end(self) -> float:
        """Time the stimulus ends (s)."""
        return self.rest_before + self.stimulus_duration

    def synaptic_input(self, t) -> np.ndarray:
        """The protocol's synaptic input at times ``t`` (s): shape (len(t), 2), (agonist, antagonist), pps."""
        t = np.asarray(t, dtype=float)
        excite = np.where((t > self.rest_before) & (t <= self.stimulus_end), self.stimulus, 0.0)
        start = self.stimulus_end + self.inhibition_onset
        inhibit = np.where((t > start) & (t <= start + self.inhibition_duration), self.inhibition, 0.0)
        return np.stack([excite - inhibit, np.zeros_like(t)], axis=-1)

    def drive(self, joint: str) -> Drive:
        from myoreflex.simulation import Drive

        self.check_joint(joint)
        angle = self.held_angle(joint)

        def kinematics(t):
            zeros = np.zeros_like(np.asarray(t, dtype=float))
            return zeros + angle, zeros, zeros

        return Drive(initial_angle=angle, duration=self.stimulus_end + self.duration, gravity_scale=0.0,
                     kinematics=kinematics, synaptic_input=self.synaptic_input)

    def metadata(self) -> dict:
        return {**super().metadata(), "stimulus_onset_s": self.rest_before, "stimulus_end_s": self.stimulus_end}

    @classmethod
    def measure(cls, trial: Trial, *, lenient: bool = False):  # no quality gates
        from myoreflex.measures.long_lasting_reflex import measure

        return measure(trial)
