"""Treatments as documented, composable parameter transforms, on top of a condition or a fit.

A treatment is a list of :class:`~myoreflex.conditions.Change` records (the machinery of the
conditions: a multiplier ``scale`` or an additive ``shift`` at full effect, the joints it applies
to, its source) and a dose-response: ``dose -> effect`` in [0, 1], the fraction of the full change
applied (``x -> x (1 + e (m - 1))``, ``x -> x + e d``; :meth:`Treatment.effect`). The effect is
fed to :meth:`Change.apply` through the severity whose weight it is
(``severity_weight(s) = e``), so a treatment moves each parameter linearly in its effect, as a
condition does in its weight.

The *mechanisms* and *directions* are cited; the *sizes* at full effect and the dose at half effect
are assumptions (marked ``ASSUMPTION`` in each source) unless a number is given. docs/treatments.md
lists them all with their sources.

==========================  =========  =======  =================================================
name                        dose unit  default  mechanism (parameters changed)
==========================  =========  =======  =================================================
``botulinum_toxin``         U          100      chemodenervation of the injected (tested) muscle:
                                                fewer active motor units (``agonist.max_isometric_force``)
``baclofen_oral``           mg/day     60       GABA-B: presynaptic inhibition of Ia/II terminals,
                                                motor neurons less excitable (``circuit.ia_weight``,
                                                ``circuit.ii_weight``, ``motoneuron.gain``)
``baclofen_intrathecal``    ug/day     300      the same, at CSF concentrations oral dosing cannot reach
``tizanidine``              mg/day     24       alpha-2: polysynaptic (group II) transmission and the
                                                PIC-triggering reflexes (``circuit.ii_weight``,
                                                ``motoneuron.pic_amplitude``)
``dantrolene``              mg/day     100      excitation-contraction coupling: force per activation
                                                of both muscles, voluntary too (``*.max_isometric_force``)
``rhizotomy``               %          50       dorsal rootlets cut: every afferent input to the pool
                                                down by the fraction (``circuit.*_weight``); legs only
``stretching``              weeks      6        passive stiffness and fibre length of the tested muscle
``casting``                 weeks      3        the same, larger (serial casting in lengthened position)
``cooling``                 degC       5        slower conduction, spindles, muscle; more viscous tissue
``warming``                 degC       3        the reverse, smaller
==========================  =========  =======  =================================================

Model caveats. A muscle's passive force is a fraction of its maximal isometric force
(:mod:`myoreflex.physiology.muscle`), so the treatments that silence motor units (botulinum toxin,
dantrolene) also lower that muscle's passive force in proportion; clinically neither changes passive
stiffness within weeks. The rhizotomy cuts the antagonist's Ia (reciprocal inhibition) and the Ib
input too, since they run in the same rootlets.

Examples
--------
>>> from myoreflex import apply_condition, default_params
>>> stroke = apply_condition(default_params("elbow"), "stroke", 0.7)
>>> treated = apply_treatment(stroke, "baclofen_oral")          # default dose, 60 mg/day
>>> round(treated.circuit.ia_weight / stroke.circuit.ia_weight, 3)  # effect 0.5 x 60 / (60 + 15) = 0.4
0.76
>>> parse_treatment("botulinum_toxin:200")
('botulinum_toxin', 200.0)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable

from myoreflex.conditions import Change
from myoreflex.errors import ParameterError, describe
from myoreflex.model import ReflexParams
from myoreflex.params import get_param, with_overrides
from myoreflex.registry import Registry
from myoreflex.units import DEG

ASSUMPTION = "ASSUMPTION: size not published; direction as cited"

# -- sources -------------------------------------------------------------------------------------
BOTOX_LABEL = ("BOTOX (onabotulinumtoxinA) prescribing information, Allergan 2021: upper-limb spasticity, "
               "biceps brachii 100-200 U, at most 400 U per session")
BRASHEAR = "Brashear et al. 2002 N Engl J Med 347:395 (wrist/finger flexors after stroke: effect at weeks 4-8, gone by 12)"
DRESSLER = "Dressler & Saberi 2005 Eur Neurol 53:3 (BoNT-A: onset in 2-3 days, peak within 2-6 weeks, about 3 months)"
BOTOX_MECHANISM = ("chemodenervation at the neuromuscular junction: partial denervation of the injected muscle, "
                   "fewer active motor units (Dressler & Saberi 2005)")
LIORESAL = "Lioresal (baclofen) prescribing information: titrated from 15 mg/day to 40-80 mg/day, at most 80 mg/day"
LIORESAL_IT = "Lioresal Intrathecal prescribing information: maintenance 90-800 ug/day (spinal), lower for cerebral origin"
PENN = ("Penn et al. 1989 N Engl J Med 320:1517 (intrathecal baclofen: spasms and tone reduced where oral baclofen "
        "at tolerated doses had failed; CSF levels of oral dosing low)")
GABA_B = ("Davidoff 1985 Ann Neurol 17:107; Curtis et al. 1997 (baclofen: GABA-B presynaptic inhibition of primary "
          "afferent terminals, Ia EPSPs depressed; postsynaptic hyperpolarisation of motor neurons)")
TIZANIDINE_DOSE = "UK Tizanidine Trial Group 1994 Neurology 44(Suppl 9):S70 (MS: mean dose about 24 mg/day; max 36 mg/day)"
ALPHA2 = ("Jankowska et al. 1998 / Bras et al. 1990: alpha-2 agonists depress group II interneuronal transmission; "
          "Rank et al. 2011 J Neurophysiol 105:410: they block the long polysynaptic reflexes that trigger PIC-driven spasms")
DANTRIUM = "Dantrium (dantrolene) prescribing information: 25 mg/day titrated to 100 mg 2-4x/day, at most 400 mg/day"
FLEWELLEN = ("Flewellen et al. 1983 Anesthesiology 59:275 (i.v. dantrolene 2.4 mg/kg: twitch tension depressed by "
             "about 75 %, no further with more): excitation-contraction coupling (RyR1)")
SDR = ("Peacock & Staudt 1991 J Neurosurg 74:380; McLaughlin et al. 2002 Dev Med Child Neurol 44:17 "
       "(selective dorsal rhizotomy in CP: 25-60 % of L2-S1 dorsal rootlets cut; tone falls with the fraction cut)")
SDR_AFFERENTS = "dorsal rootlets carry every afferent: Ia, II and Ib input to the pool down by the fraction cut"
HARVEY = ("Harvey et al. 2017 Cochrane Database Syst Rev CD007455 (stretch in neurological conditions: joint mobility "
          "+1 deg, 95 % CI 0-2, short term; interventions of a few weeks)")
TABARY = ("Tabary et al. 1972 J Physiol 224:231 (muscle immobilised lengthened adds sarcomeres in series within "
          "4 weeks); Blackmore et al. 2007 Dev Med Child Neurol 49:781 (serial casting in CP: passive range gained)")
COOL_NERVE = "de Jesus et al. 1973 Neurology 23:1182 (nerve conduction velocity about 2 m/s (4 %) per degC)"
COOL_MUSCLE = "de Ruiter & de Haan 2000 Pflugers Arch 440:163 (cooled human muscle: slower contraction and relaxation, Q10 about 2)"
COOL_SPINDLE = "Michalski & Seguin 1975 J Physiol 253:341 (cooling lowers muscle spindle discharge)"
COOL_DOSE = "Enwemeka et al. 2002 Med Sci Sports Exerc 34:45 (20 min of ice: intramuscular temperature falls by about 5-7 degC)"
WARM_DOSE = "intramuscular temperature rises by about 2-4 degC with a hot pack or active warm-up (Petrofsky et al. 2013)"


@dataclasses.dataclass(frozen=True)
class Treatment:
    """A named treatment: its mechanism, dose unit and default dose with sources, the parameter
    changes at full effect, and the dose-response.

    Dose-response (``response``): ``"emax"``, ``e = max_effect D / (D + half_dose)`` (the Emax model
    of pharmacology, Hill slope 1); ``"linear"``, ``e = min(D / full_dose, 1)`` (a fraction cut, a
    temperature change, weeks of treatment). ``time_course``: None, or a function of weeks since the
    treatment giving the fraction of the peak effect (botulinum toxin).
    """

    name: str
    mechanism: str
    dose_unit: str
    default_dose: float
    dose_source: str
    dose_bounds: tuple[float, float]
    changes: tuple[Change, ...]
    response: str = "emax"
    half_dose: float = 1.0
    full_dose: float = 1.0
    max_effect: float = 1.0
    response_source: str = ASSUMPTION
    time_course: Callable[[float], float] | None = None
    joints: tuple[str, ...] | None = None

    def effect(self, dose: float | None = None, *, weeks: float | None = None) -> float:
        """The fraction of the full change applied at ``dose`` (default: :attr:`default_dose`) and,
        for a treatment with a time course, ``weeks`` after it (default: at its peak)."""
        dose = self.default_dose if dose is None else check_dose(self, dose)
        if self.response == "linear":
            e = min(dose / self.full_dose, 1.0)
        else:
            e = self.max_effect * dose / (dose + self.half_dose)
        if self.time_course is not None and weeks is not None:
            if not (math.isfinite(weeks) and weeks >= 0):
                raise ParameterError(describe(f"{self.name} weeks", "a time >= 0 weeks since the treatment", weeks))
            e *= self.time_course(weeks)
        return float(min(max(e, 0.0), 1.0))

    def describe(self) -> str:
        """The treatment in lines: mechanism, dose, and each change with its source."""
        lines = [f"{self.name}: {self.mechanism}",
                 f"  dose in {self.dose_unit}, default {self.default_dose:g} [{self.dose_source}]"]
        lines += [f"  {c.describe().replace('at severity 1', 'at full effect')}  [{c.source}]" for c in self.changes]
        return "\n".join(lines)


def toxin_time_course(weeks: float) -> float:
    """Fraction of botulinum toxin's peak effect ``weeks`` after the injection: onset over days
    (time constant 0.5 week), a plateau to week 6, then an exponential wane (time constant 4 weeks,
    a fifth left at week 12). Onset, peak and wane: Dressler & Saberi 2005, Brashear et al. 2002;
    the shape is an assumption.

    >>> [round(toxin_time_course(w), 2) for w in (0.0, 1.0, 4.0, 12.0)]
    [0.0, 0.86, 1.0, 0.22]
    """
    rise = 1.0 - math.exp(-weeks / 0.5)
    return rise * math.exp(-max(weeks - 6.0, 0.0) / 4.0) if weeks <= 6.0 else math.exp(-(weeks - 6.0) / 4.0)


_GABA_B = (
    Change("circuit.ia_weight", GABA_B + "; x0.4 at full effect: " + ASSUMPTION, scale=0.4),
    Change("circuit.ii_weight", GABA_B + "; x0.4 at full effect: " + ASSUMPTION, scale=0.4),
    Change("motoneuron.gain", GABA_B + "; x0.7 at full effect: " + ASSUMPTION, scale=0.7),
)


def _temperature(sign: float, delay: float, kinetics: float, speed: float, viscosity: float, spindle: float):
    """The changes of a limb temperature change at full effect (cooling: sign -1)."""
    what = "cooling" if sign < 0 else "warming"
    return (
        Change("delays.afferent", COOL_NERVE + f"; {what}", scale=delay),
        Change("delays.efferent", COOL_NERVE + f"; {what}", scale=delay),
        Change("agonist.activation_time", COOL_MUSCLE, scale=kinetics),
        Change("antagonist.activation_time", COOL_MUSCLE, scale=kinetics),
        Change("agonist.deactivation_time", COOL_MUSCLE, scale=kinetics),
        Change("antagonist.deactivation_time", COOL_MUSCLE, scale=kinetics),
        Change("agonist.max_contraction_velocity", COOL_MUSCLE, scale=speed),
        Change("antagonist.max_contraction_velocity", COOL_MUSCLE, scale=speed),
        Change("limb.damping", f"tissue viscosity rises with cold: {ASSUMPTION}", scale=viscosity),
        *(Change(f"spindle.{fibre}.primary_gain", COOL_SPINDLE + f"; {ASSUMPTION}", scale=spindle)
          for fibre in ("bag1", "bag2", "chain")),
    )


TREATMENTS = Registry("treatment", {
    "botulinum_toxin": Treatment(
        "botulinum_toxin", BOTOX_MECHANISM, "U", 100.0, BOTOX_LABEL, (0.0, 400.0),
        (Change("agonist.max_isometric_force", BOTOX_MECHANISM + "; the tested (stretched) muscle", scale=0.0),),
        response="emax", max_effect=0.7, half_dose=100.0,
        response_source="at most 70 % of the motor units silenced, half of it at 100 U: " + ASSUMPTION,
        time_course=toxin_time_course),
    "baclofen_oral": Treatment(
        "baclofen_oral", "GABA-B agonist: presynaptic inhibition of Ia and II terminals up, motor-neuron "
        "excitability down", "mg/day", 60.0, LIORESAL, (0.0, 120.0), _GABA_B,
        max_effect=0.5, half_dose=15.0,
        response_source="half the intrathecal maximum (CSF levels of oral dosing are low, " + PENN + "); "
        "half effect at 15 mg/day: " + ASSUMPTION),
    "baclofen_intrathecal": Treatment(
        "baclofen_intrathecal", "GABA-B agonist delivered to the CSF: the oral mechanism at full effect",
        "ug/day", 300.0, LIORESAL_IT, (0.0, 1500.0), _GABA_B,
        max_effect=1.0, half_dose=100.0, response_source=PENN + "; half effect at 100 ug/day: " + ASSUMPTION),
    "tizanidine": Treatment(
        "tizanidine", "alpha-2 agonist: polysynaptic (group II) transmission and the PIC-triggering "
        "reflexes down", "mg/day", 24.0, TIZANIDINE_DOSE, (0.0, 36.0),
        (Change("circuit.ii_weight", ALPHA2 + "; x0.3 at full effect: " + ASSUMPTION, scale=0.3),
         Change("motoneuron.pic_amplitude", ALPHA2 + "; x0.3 at full effect: " + ASSUMPTION, scale=0.3),
         Change("circuit.ia_weight", ALPHA2 + " (a smaller Ia share); x0.85: " + ASSUMPTION, scale=0.85)),
        max_effect=1.0, half_dose=12.0, response_source="half effect at 12 mg/day: " + ASSUMPTION),
    "dantrolene": Treatment(
        "dantrolene", "ryanodine-receptor block: less calcium release, less force per activation in "
        "every muscle (voluntary force too)", "mg/day", 100.0, DANTRIUM, (0.0, 400.0),
        (Change("agonist.max_isometric_force", FLEWELLEN, scale=0.25),
         Change("antagonist.max_isometric_force", FLEWELLEN, scale=0.25)),
        max_effect=1.0, half_dose=200.0,
        response_source="at most 75 % of the twitch (Flewellen et al. 1983); half of that at 200 mg/day oral: "
        + ASSUMPTION),
    "rhizotomy": Treatment(
        "rhizotomy", "selective dorsal rhizotomy: a fraction of the lumbosacral dorsal rootlets cut, the "
        "afferent input to the pool down by that fraction", "%", 50.0, SDR, (0.0, 90.0),
        tuple(Change(f"circuit.{w}", SDR_AFFERENTS + "; " + SDR, scale=0.0, joints=("knee", "ankle"))
              for w in ("ia_weight", "ii_weight", "ib_weight", "reciprocal_weight")),
        response="linear", full_dose=100.0, response_source="the input falls with the fraction cut (" + SDR_AFFERENTS + ")",
        joints=("knee", "ankle")),
    "stretching": Treatment(
        "stretching", "regular passive stretch of the tested muscle: passive stiffness down, fibres longer",
        "weeks", 6.0, HARVEY, (0.0, 52.0),
        (Change("agonist_geometry.optimal_angle", HARVEY + "; +1 deg (the Cochrane mean)", shift=1.0 * DEG),
         Change("agonist.passive_strain_at_unit_force", HARVEY + "; x1.02: " + ASSUMPTION, scale=1.02)),
        response="linear", full_dose=6.0, response_source="full effect after 6 weeks: " + ASSUMPTION),
    "casting": Treatment(
        "casting", "serial casting of the tested muscle in a lengthened position: sarcomeres added, passive "
        "range gained", "weeks", 3.0, TABARY, (0.0, 12.0),
        (Change("agonist_geometry.optimal_angle", TABARY + "; +10 deg at full effect: " + ASSUMPTION, shift=10 * DEG),
         Change("agonist.passive_strain_at_unit_force", TABARY + "; x1.1: " + ASSUMPTION, scale=1.1)),
        response="linear", full_dose=3.0, response_source="full effect after 3 weekly casts: " + ASSUMPTION),
    "cooling": Treatment(
        "cooling", "limb cooling: slower nerve conduction, spindles and muscle, more viscous tissue",
        "degC", 5.0, COOL_DOSE, (0.0, 15.0),
        _temperature(-1.0, delay=1.0 / 0.6, kinetics=2.0, speed=0.5, viscosity=1.3, spindle=0.5),
        response="linear", full_dose=10.0,
        response_source="linear in the fall of temperature up to 10 degC (conduction 4 %/degC, Q10 2)"),
    "warming": Treatment(
        "warming", "limb warming: faster conduction and muscle, less viscous tissue, livelier spindles",
        "degC", 3.0, WARM_DOSE, (0.0, 5.0),
        _temperature(+1.0, delay=1.0 / 1.2, kinetics=0.71, speed=1.41, viscosity=0.85, spindle=1.2),
        response="linear", full_dose=5.0,
        response_source="linear in the rise of temperature up to 5 degC (conduction 4 %/degC, Q10 2)"),
})
"""Every treatment by name (:class:`Treatment`)."""


def check_dose(treatment: Treatment, dose) -> float:
    """``dose`` as a float inside the treatment's bounds, else :class:`ParameterError`."""
    low, high = treatment.dose_bounds
    try:
        value = float(dose)
    except (TypeError, ValueError):
        raise ParameterError(describe(f"{treatment.name} dose", f"a number in {treatment.dose_unit}", repr(dose))) from None
    if not (math.isfinite(value) and low <= value <= high):
        raise ParameterError(describe(f"{treatment.name} dose", f"a value in [{low:g}, {high:g}] {treatment.dose_unit}",
                                      f"{dose} {treatment.dose_unit}"))
    return value


def parse_treatment(spec: str) -> tuple[str, float | None]:
    """``"NAME[:DOSE]"`` (the command line's ``--treatment``) as ``(name, dose or None)``.

    >>> parse_treatment("rhizotomy"), parse_treatment("cooling:8")
    (('rhizotomy', None), ('cooling', 8.0))
    """
    name, _, dose = str(spec).strip().partition(":")
    treatment = TREATMENTS.lookup(name)
    return name, (check_dose(treatment, dose) if dose else None)


def _severity_of(effect: float) -> float:
    """The severity whose weight (:func:`myoreflex.conditions.severity_weight`) is ``effect``."""
    return 1.0 - math.sqrt(1.0 - effect)


def apply_treatment(params: ReflexParams, name: str, dose: float | None = None, *,
                    weeks: float | None = None) -> ReflexParams:
    """``params`` after treatment ``name`` at ``dose`` (its unit: :attr:`Treatment.dose_unit`;
    None: the cited default) and, for botulinum toxin, ``weeks`` after the injection (None: at its
    peak). Applies on top of anything: a preset, a condition, a fitted subject.

    A treatment that exists only at some joints (rhizotomy: the legs) raises
    :class:`ParameterError` elsewhere; a change whose parameter the set's variants lack is skipped
    (as a condition's is).

    >>> from myoreflex import default_params
    >>> knee = default_params("knee")
    >>> round(apply_treatment(knee, "rhizotomy", 40).circuit.ia_weight, 3)
    0.6
    """
    treatment = TREATMENTS.lookup(name)
    if treatment.joints is not None and params.joint not in treatment.joints:
        raise ParameterError(describe(f"{name} at the {params.joint}", f"a joint among {', '.join(treatment.joints)}",
                                      params.joint))
    severity = _severity_of(treatment.effect(dose, weeks=weeks))
    overrides = {}
    for change in treatment.changes:
        if change.applies_to(params):
            overrides[change.path] = change.apply(overrides.get(change.path, get_param(params, change.path)),
                                                  severity, params)
    return with_overrides(params, overrides)


def apply_treatments(params: ReflexParams, treatments: Iterable) -> ReflexParams:
    """Several treatments in order; each is ``"NAME[:DOSE]"``, a name, or ``(name, dose)``.

    >>> from myoreflex import default_params
    >>> both = apply_treatments(default_params("knee"), ["rhizotomy:50", ("baclofen_oral", 60)])
    >>> round(both.circuit.ia_weight, 3)  # x0.5 cut, then x(1 - 0.4 x 0.6) baclofen
    0.38
    """
    for item in treatments:
        name, dose = parse_treatment(item) if isinstance(item, str) else (item[0], item[1])
        params = apply_treatment(params, name, dose)
    return params


def treatments_json(treatments: Iterable) -> list[dict]:
    """The ``"treatments"`` of the JSON contracts: ``[{"name", "dose"}]``, a default dose filled in
    (``treatments``: ``"NAME[:DOSE]"`` strings or ``(name, dose)`` pairs)."""
    pairs = [parse_treatment(item) if isinstance(item, str) else tuple(item) for item in treatments or ()]
    return [{"name": name, "dose": TREATMENTS[name].default_dose if dose is None else float(dose)}
            for name, dose in pairs]


def describe_treatment(name: str) -> str:
    """A readable account of a treatment: mechanism, dose unit and default, each change with its source."""
    return TREATMENTS.lookup(name).describe()


def treatment_figure(before, after, ax=None, *, labels=("before", "after"), channel: str = "angle"):
    """Overlay a channel of two Trials (before and after a treatment) on one axes.

    ``before`` and ``after`` are Trials of one protocol; ``channel`` is drawn against time (an angle
    in deg, an angular velocity in deg/s, anything else in its own unit). Draws on ``ax`` if given,
    else on a new :class:`matplotlib.figure.Figure` (no pyplot state). Returns the figure.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.0, 3.6)) if ax is None else ax.figure
    ax = figure.add_subplot(1, 1, 1) if ax is None else ax
    for trial, label, style in ((before, labels[0], "-"), (after, labels[1], "--")):
        values = trial[channel]
        unit = trial.unit(channel)
        if unit == "rad":
            values, unit = values / DEG, "deg"
        elif unit == "rad/s":
            values, unit = values / DEG, "deg/s"
        ax.plot(trial.time, values, style, label=label)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"{channel} ({unit})")
    ax.legend(frameon=False)
    return figure


__all__ = ["TREATMENTS", "Treatment", "apply_treatment", "apply_treatments", "describe_treatment",
           "parse_treatment", "toxin_time_course", "treatment_figure"]
