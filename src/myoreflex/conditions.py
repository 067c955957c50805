"""Named conditions as documented, composable parameter transforms ``ReflexParams -> ReflexParams``.

Each condition stands for a lesion and moves a set of parameters in the direction the literature
reports, scaled by a ``severity`` in [0, 1]: severity 0 is the healthy preset, severity 1 the
largest change listed. Every change is linear in the weight ``w(s)`` of :func:`severity_weight`
(``x -> x (1 + w (m - 1))`` for a multiplier ``m``, ``x -> x + w d`` for a shift ``d``), so every
parameter moves monotonically with severity; that every pendulum metric does too is tested
(tests/test_pendulum_sim.py, 41 severities per condition). The *directions* are cited; the
*sizes* at severity 1 were calibrated so that severity 0.7 reproduces the published spastic
pendulum (ANCHORS 4.3, CP1 right: R1 1.21, R2n 0.76, 4 flexion peaks, first period 0.86 s) and a
stroke elbow torque of the order of McPherson et al. 2019 (7 N m);
they are assumptions, to be replaced by fitted values (the fit issue). Since issue 14 (fusimotor
hypothesis opt-in, tendon organ force scale per muscle, faster-than-tau_d deactivation fixed) the
knee's CP 0.7 pendulum reads R1 1.32, R2n 0.83, 4 flexion peaks, first period 0.86 s: the CP
trace's number of swings and period, less braked in R1 (1.32 against 1.21); the sizes were only
partly recompensated (the threshold). The calibration step (:mod:`myoreflex.calibration`) fits the
knee's own cerebral-palsy changes to CP1's recording; they apply with the calibrated presets only
(``apply_condition(..., calibrated=True)``, docs/calibration.md).

Hypotheses are opt-in. A change whose direction the literature disputes is held apart from a
condition's changes, named and labelled, and applies only when asked for: the fusimotor hypothesis
(4x dynamic gamma drive in the upper-motor-neuron syndromes, ``apply_condition(...,
fusimotor=True)``, :data:`FUSIMOTOR_HYPOTHESIS`). Microneurography after stroke found little
fusimotor overactivity (Wilson et al. 1999 J Physiol 517:881), so the presets do without it; before
issue 14 it was on in every one and carried about two thirds of the simulated spastic pendulum.
The presets' released reflex rests instead on the reduced stretch-reflex threshold that Powers,
Campbell & Rymer 1989 found to be the main change in spastic hypertonia (ANCHORS 3.8, 10c).

A change applies where its parameter exists: a parameter set holds the parameters of its model
variants only (:mod:`myoreflex.model`), so the force-feedback gains move in a force-feedback loop
and the circuit's weights in a spinal one, each loop untouched by the other's changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from myoreflex.calibrated import CEREBRAL_PALSY_KNEE
from myoreflex.errors import ParameterError, describe
from myoreflex.model import ReflexParams
from myoreflex.params import get_param, has_param, with_overrides
from myoreflex.physiology.motoneuron import MotoneuronParams
from myoreflex.units import DEG, GRAVITY

SHEEAN = "Sheean 2002; Li & Francisco 2015 (loss of dorsal reticulospinal inhibition after cortical/capsular lesions)"
POWERS = "Powers, Campbell & Rymer 1989 Ann Neurol 25:32 (reduced stretch-reflex threshold)"
MCPHERSON = "McPherson et al. 2019 Exp Brain Res 237:121 (raised reflex stiffness / gain)"
DE_VLUGT = "de Vlugt et al. 2010 J NeuroEng Rehabil 7:35 (stiffer, more viscous tissue at MAS >= 1)"
KROGT = "van der Krogt et al. 2016 J NeuroEng Rehabil 13:64 (CP: stiffer, shorter hamstrings / contracture)"
FUSIMOTOR = ("HYPOTHESIS, opt-in (fusimotor=True): Dietrichson 1973 / Mukherjee & Chakravarty 2010 (fusimotor "
             "overactivity); direction debated: Wilson et al. 1999 J Physiol 517:881 found little after stroke. "
             "Size assumed")
POWERS_MAIN = POWERS + "; the main change in spastic hypertonia (ANCHORS 3.8, 10c). Size calibrated without the fusimotor hypothesis"
MAHROUS = "Mahrous et al. 2024 J Neurosci 44:e1695232023 (SCI: larger PICs, reduced synaptic inhibition)"
MURRAY = "Murray et al. 2010 Nat Med 16:694 (constitutive 5-HT2 activity restores PICs after SCI)"
DE_GROOTE_2018 = "De Groote et al. 2018 PLOS ONE 13:e0205763 (raised tone shapes the spastic pendulum)"
DELWAIDE = "Delwaide & Oliver 1988 J Neurol Neurosurg Psychiatry 51:1546 (Ib inhibition reduced in spasticity)"
FALISSE_REF = "Falisse et al. 2018 PLOS ONE 13:e0208811"
FALISSE_STABLE = (FALISSE_REF + "; g_dF kept below ~0.1 s here: with the muscle's own force in the loop, "
                  "larger force-rate gains run away (positive feedback through activation dynamics)")
FALISSE = FALISSE_REF + " (CP force/dF feedback; gains g_F <= 1, g_dF <= 15)"


def severity_weight(severity: float) -> float:
    """Fraction of the full change applied at ``severity``: ``w = 1 - (1 - s)^2``.

    Saturating and strictly increasing on [0, 1]: early severities change the loop quickly and
    the most severe grade approaches, without overshooting, the largest change listed (a stronger
    change makes the simulated pendulum clonic, which no longer reads as a graded metric).
    """
    return 1.0 - (1.0 - severity) ** 2


@dataclasses.dataclass(frozen=True)
class Change:
    """One parameter change at severity 1: ``scale`` (multiplier), ``shift`` (additive, SI) or
    ``gravity_shift`` (additive, in units of the limb's gravity moment ``m g l_c``, so that a
    child's joint changes in proportion to its size); at the ``joints`` named (None: every joint)."""

    path: str
    source: str
    scale: float | None = None
    shift: float | None = None
    gravity_shift: float | None = None
    joints: tuple[str, ...] | None = None

    def apply(self, value, severity: float, params: ReflexParams | None = None):
        weight = severity_weight(severity)
        if self.scale is not None:
            return value * (1.0 + weight * (self.scale - 1.0))
        if self.gravity_shift is not None:
            limb = params.limb
            return value + weight * self.gravity_shift * limb.mass * GRAVITY * limb.com_distance
        return value + weight * self.shift

    def applies_to(self, params: ReflexParams) -> bool:
        return (self.joints is None or params.joint in self.joints) and has_param(params, self.path)

    def describe(self) -> str:
        if self.scale is not None:
            how = f"x{self.scale:.3g}"
        elif self.gravity_shift is not None:
            how = f"{self.gravity_shift:+.3g} m g l_c"
        else:
            how = f"{self.shift:+.3g}"
        where = "" if self.joints is None else f" (at the {', '.join(self.joints)})"
        return f"{self.path} {how} at severity 1{where}"


@dataclasses.dataclass(frozen=True)
class Condition:
    """A named condition: the lesion it stands for, its parameter changes, and the changes of the
    disputed ``fusimotor`` hypothesis, applied only on request (:data:`FUSIMOTOR_HYPOTHESIS`), and
    the changes calibrated on real recordings, applied with the calibrated presets (``calibrated``)."""

    name: str
    lesion: str
    changes: tuple[Change, ...]
    fusimotor: tuple[Change, ...] = ()
    calibrated: tuple[Change, ...] = ()

    def __call__(self, params: ReflexParams, severity: float, *, fusimotor: bool = False,
                 calibrated: bool = False) -> ReflexParams:
        return apply_condition(params, self.name, severity, fusimotor=fusimotor, calibrated=calibrated)

    def all_changes(self, fusimotor: bool = False, calibrated: bool = False) -> tuple[Change, ...]:
        """The changes applied: the condition's own, then its calibrated ones and the fusimotor
        hypothesis when asked for."""
        return self.changes + (self.calibrated if calibrated else ()) + (self.fusimotor if fusimotor else ())


# Neural changes shared by the upper-motor-neuron syndromes (stroke, MS, CP): the released reflex.
# Sizes (issue 14): without the fusimotor hypothesis the threshold falls to 0.2 of its healthy value
# (was 0.52 with it): the reduced threshold, the main change in spastic hypertonia (Powers 1989), takes
# over the share of the spastic pendulum that the 4x gamma drive had carried. The gain keeps its size
# (1.8): larger gains (2.5) barely brake the pendulum more and turn the stroke preset's peak swing
# velocity back up near severity 1; a smaller one (1.1) keeps the CP preset's peak velocity monotone
# but leaves the stroke elbow's McPherson torque below half the published 7.2 N m. Known (issue 14
# report): with 1.8 the CP preset's peak velocity turns back up by < 1 deg/s above severity ~0.9, and
# without the fusimotor drive the ankle's reflex onset no longer comes earlier at 236 than at 100 deg/s.
_RELEASED_REFLEX = (
    Change("descending.inhibition", SHEEAN, scale=0.2),
    Change("motoneuron.threshold", POWERS_MAIN, scale=0.2),
    Change("motoneuron.gain", MCPHERSON, scale=1.8),
    Change("circuit.ib_weight", DELWAIDE, scale=0.36),
    Change("force_feedback.force_gain", FALISSE, shift=0.24),
    Change("force_feedback.force_rate_gain", FALISSE_STABLE, shift=0.08),
)
FUSIMOTOR_HYPOTHESIS = (Change("descending.gamma_dynamic", FUSIMOTOR, scale=4.0),)
"""The fusimotor hypothesis of the upper-motor-neuron syndromes: 4x dynamic gamma drive at severity 1.
Opt-in (``apply_condition(..., fusimotor=True)``): microneurography after stroke found little fusimotor
overactivity (Wilson et al. 1999), so no preset applies it by default. The presets' sizes were
calibrated without it; with it they are stronger than calibrated (the knee's stroke or CP 0.7 pendulum
turns clonic: 0.34 s period, still swinging after 20 s)."""
_STIFFER_TISSUE = (
    Change("agonist.passive_strain_at_unit_force", DE_VLUGT, scale=0.8),
    Change("antagonist.passive_strain_at_unit_force", DE_VLUGT, scale=0.8),
    Change("limb.damping", DE_VLUGT, scale=2.2),
    # The calibrated presets (calibrated=True) take the knee's tone back to x0.1 at severity 0.7 and
    # raise its baseline torque instead (De Groote et al. 2018): CP1's pendulum wants its tone as a
    # constant torque, not as active muscle whose force-velocity damping stops the later swings.
    Change("motoneuron.tone", DE_GROOTE_2018, shift=0.032),
)
CALIBRATED_CP = "calibrated on CP1's spastic knee pendulum (myoreflex.calibration; generated into myoreflex.calibrated)"


def calibrated_knee_changes(sizes: Mapping[str, tuple[str, float]]) -> tuple[Change, ...]:
    """The knee's own condition changes from generated ``path: (kind, size)`` entries
    (:data:`myoreflex.calibrated.CEREBRAL_PALSY_KNEE`, :func:`myoreflex.calibration.condition_sizes`)."""
    return tuple(Change(path, CALIBRATED_CP, joints=("knee",), **{kind: size}) for path, (kind, size) in sizes.items())


_CALIBRATED_KNEE = calibrated_knee_changes(CEREBRAL_PALSY_KNEE)
"""The cerebral-palsy changes of the knee calibrated on CP1's spastic pendulum, on top of the shared
ones (a scale composes with a shared scale of the same parameter)."""


PIC_SIZE = ("; size calibrated (issue 16) on the knee's long-lasting reflex "
            "(protocols.long_lasting_reflex: a 0.1 s stimulus at rest): SCI 95 pps at severity 1 outlasts it by "
            "1.7 s at severity 0.7 and 7.9 s at 1, ends by itself at every severity, and not with half the "
            "monoamine drive; MS half of SCI's. Human magnitudes unverified (ANCHORS 10c)")
BISTABLE_PIC = (MURRAY + "; Bennett et al. 2001 J Neurophysiol 86:1972 and 2004 91:2247 (large PICs, "
                "self-sustained firing and long-lasting reflexes in chronic spinal rats; ANCHORS 7.2)" + PIC_SIZE)


PIC_CALIBRATION_THRESHOLD = 205.0
"""pps: the knee's motor-neuron threshold when the PIC's size was calibrated (issue 16)."""
KNEE_THRESHOLD = MotoneuronParams().threshold
KNEE_PIC = (f"; at the knee x {KNEE_THRESHOLD / PIC_CALIBRATION_THRESHOLD:.3g}: the size was calibrated "
            f"with the knee's threshold at {PIC_CALIBRATION_THRESHOLD:g} pps, which issue 14 raised to "
            f"{KNEE_THRESHOLD:g} pps "
            "(physiology.motoneuron), and the PIC keeps its ratio to the threshold")


def _spinal_release(reciprocal_scale: float, pic_shift: float) -> tuple[Change, ...]:
    """The released reflex and stiffer tissue, plus the spinal changes of a lesion that reaches the
    cord: weaker reciprocal inhibition and a persistent inward current in the motor neurons, bistable
    (switched by the pool's own depolarisation, :mod:`myoreflex.physiology.motoneuron`)."""
    return _RELEASED_REFLEX + _STIFFER_TISSUE + (
        Change("circuit.reciprocal_weight", MAHROUS, scale=reciprocal_scale),
        Change("motoneuron.pic_amplitude", BISTABLE_PIC, shift=pic_shift, joints=("elbow", "ankle", "wrist")),
        Change("motoneuron.pic_amplitude", BISTABLE_PIC + KNEE_PIC,
               shift=pic_shift * KNEE_THRESHOLD / PIC_CALIBRATION_THRESHOLD, joints=("knee",)),
    )


CONDITIONS: dict[str, Condition] = {
    "healthy": Condition("healthy", "none: intact descending control", ()),
    "stroke": Condition(
        "stroke",
        "cortical or internal-capsule lesion (upper motor neuron, chronic phase)",
        _RELEASED_REFLEX + _STIFFER_TISSUE,
        FUSIMOTOR_HYPOTHESIS,
    ),
    "spinal_cord_injury": Condition(
        "spinal_cord_injury",
        "spinal cord transection or incomplete injury above the segment (chronic)",
        _spinal_release(reciprocal_scale=0.52, pic_shift=95.0),
        FUSIMOTOR_HYPOTHESIS,
    ),
    "multiple_sclerosis": Condition(
        "multiple_sclerosis",
        "demyelinating lesions of brain and spinal cord white matter (mixed supraspinal/spinal)",
        _spinal_release(reciprocal_scale=0.76, pic_shift=47.5),
        FUSIMOTOR_HYPOTHESIS,
    ),
    "cerebral_palsy": Condition(
        "cerebral_palsy",
        "perinatal lesion of the developing brain (periventricular white matter, corticospinal tract)",
        _RELEASED_REFLEX
        + _STIFFER_TISSUE
        + (
            # Only the hamstrings (the knee's antagonist) are shortened: that is the contracture the
            # anchors support (ANCHORS 10c). With the quadriceps shortened too (-8 deg, before
            # 2026-11-28) the first period bottomed out near severity 0.8 and lengthened again;
            # without it severity 0.7 gives R2n 0.76, 4 flexion peaks and a first period of
            # 0.86 s, the spastic CP trace's values (ANCHORS 4.3, CP1 right).
            Change("antagonist_geometry.optimal_angle", KROGT, shift=5 * DEG),
        ),
        FUSIMOTOR_HYPOTHESIS,
        _CALIBRATED_KNEE,
    ),
}


def _check_condition(condition: str) -> Condition:
    if condition not in CONDITIONS:
        raise ParameterError(describe("condition", f"one of {', '.join(CONDITIONS)}", repr(condition)))
    return CONDITIONS[condition]


def _check_severity(severity) -> np.ndarray:
    values = np.asarray(severity, dtype=float)
    if not np.all((values >= 0.0) & (values <= 1.0)):
        bad = values[~((values >= 0.0) & (values <= 1.0))].ravel()[0] if values.ndim else values
        raise ParameterError(describe("severity", "a number in [0, 1]", float(bad)))
    return values


def apply_condition(params: ReflexParams, condition: str, severity, *, fusimotor: bool = False,
                    calibrated: bool = False) -> ReflexParams:
    """Apply a named condition at ``severity`` in [0, 1] to a (healthy) parameter set.

    For a batch (:func:`myoreflex.params.stack_params`) ``severity`` may be one number or one per
    member. Severity 0 leaves a parameter exactly as it was. A change whose parameter the set's
    variants lack (the force-feedback gains of a spinal loop, say) is skipped. ``fusimotor=True``
    adds the condition's fusimotor hypothesis (:data:`FUSIMOTOR_HYPOTHESIS`: 4x dynamic gamma drive
    at severity 1; disputed, off by default). ``calibrated=True`` adds the condition's own changes
    calibrated on real recordings (:mod:`myoreflex.calibration`; cerebral palsy at the knee, on CP1's
    spastic pendulum), for the calibrated presets (``default_params(..., calibrated=True)``).

    Examples
    --------
    >>> from myoreflex import default_params
    >>> knee = default_params("knee")
    >>> stroke = apply_condition(knee, "stroke", 0.7)
    >>> round(stroke.motoneuron.threshold / knee.motoneuron.threshold, 3)  # x0.2 at severity 1, w(0.7) = 0.91
    0.272
    >>> stroke.descending.gamma_dynamic, apply_condition(knee, "stroke", 0.7, fusimotor=True).descending.gamma_dynamic
    (20.0, 74.6)
    """
    return apply_changes(params, _check_condition(condition).all_changes(fusimotor, calibrated), severity)


def apply_changes(params: ReflexParams, changes: Sequence[Change], severity) -> ReflexParams:
    """Apply ``changes`` in order at ``severity`` (:func:`apply_condition`'s work, for any changes:
    :func:`myoreflex.calibration.write_presets` checks candidate ones before writing them). A change
    whose parameter ``params`` lacks is skipped; two changes of one path compose. A parameter moved
    outside its bounds raises :class:`~myoreflex.errors.ParameterError` naming it."""
    severity = _check_severity(severity)
    if severity.ndim == 0:
        severity = float(severity)
    overrides = {}
    for c in changes:  # two changes of one path (a shared one and a joint's own) compose
        if c.applies_to(params):
            overrides[c.path] = c.apply(overrides.get(c.path, get_param(params, c.path)), severity, params)
    return with_overrides(params, overrides)


def condition_preset(joint: str, condition: str, severity, subject=None, *, calibrated: bool = False,
                     **variants) -> ReflexParams:
    """The preset of ``joint`` for ``subject`` (a :class:`myoreflex.subjects.Subject`; None: the
    reference adult, 75 kg and 1.75 m) under ``condition`` at ``severity``: the subject's healthy
    parameters (``**variants``: :func:`myoreflex.model.default_params`'s) with the condition applied.
    ``calibrated=True``: the calibrated presets, whose healthy knee and condition changes go together.

    Examples
    --------
    >>> knee = condition_preset("knee", "stroke", 0.7)
    >>> round(float(knee.motoneuron.threshold / condition_preset("knee", "healthy", 0.0).motoneuron.threshold), 3)
    0.272
    """
    from myoreflex.subjects import subject_params

    healthy = subject_params(joint, subject, calibrated=calibrated, **variants)
    return apply_condition(healthy, condition, severity, calibrated=calibrated)


def apply_conditions(batch: ReflexParams, conditions, severities, *, fusimotor: bool = False,
                     calibrated: bool = False) -> ReflexParams:
    """Each member of a batch under its own condition and severity (``conditions[i]``, ``severities[i]``).

    Equals ``stack_params([apply_condition(member_i, conditions[i], severities[i], fusimotor=fusimotor),
    ...])`` without rebuilding a tree per member: each named condition is applied to the whole batch at
    once, at severity 0 (no change) for the members of other conditions.
    """
    names = np.asarray(conditions, dtype=object)
    severity = _check_severity(severities)
    if names.shape != severity.shape or names.ndim != 1:
        raise ParameterError(describe("apply_conditions", "one condition and one severity per member",
                                      f"{names.shape} conditions, {severity.shape} severities"))
    for name in dict.fromkeys(names.tolist()):
        if _check_condition(name).all_changes(fusimotor, calibrated):
            batch = apply_condition(batch, name, np.where(names == name, severity, 0.0), fusimotor=fusimotor,
                                    calibrated=calibrated)
    return batch


def describe_condition(condition: str) -> str:
    """A readable list of what a condition changes, with sources; the changes of the calibrated
    presets and the opt-in fusimotor hypothesis last, labelled.

    Examples
    --------
    >>> print(describe_condition("stroke").splitlines()[1])
      descending.inhibition x0.2 at severity 1  [Sheean 2002; Li & Francisco 2015 (loss of dorsal ...)]
    >>> print(describe_condition("stroke").splitlines()[-1][:72])
      hypothesis (fusimotor=True): descending.gamma_dynamic x4 at severity 1
    """
    c = _check_condition(condition)
    lines = [f"{c.name}: {c.lesion}"]
    for label, changes in (("", c.changes), ("calibrated (calibrated=True): ", c.calibrated),
                           ("hypothesis (fusimotor=True): ", c.fusimotor)):
        for change in changes:
            lines.append(f"  {label}{change.describe()}  [{change.source}]")
    return "\n".join(lines)
