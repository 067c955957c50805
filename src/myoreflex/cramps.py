"""Muscle cramps: a cramp-susceptible motor neuron pool, the conditions that favour cramps and the
manoeuvres that relieve them, each a documented parameter transform.

The mechanism (Minetto et al. 2013 review; ANCHORS 7.2, 8.1). A cramp is a self-sustained discharge
of motor neurons: a strong enough input (an electrically evoked afferent barrage, or a maximal
voluntary contraction of the shortened muscle) switches on the motor neurons' persistent inward
currents (PICs), and with the PIC on they keep firing after the input has ended (motor neuron
"bistability" as a mechanism of cramps: Baldissera, Cavallari & Dworzak 1994 Brain 117:929). That the
sustained discharge is spinal is shown by a peripheral nerve block: with the spinal loop cut,
electrically elicited cramps need a higher stimulation frequency (18 +- 3 vs 13 +- 3 Hz) and last
2.6 +- 1.3 s instead of 55.6 +- 19.2 s (Minetto et al. 2011 J Physiol 589:5759). Peripheral
hyperexcitability (of motor axons and nerve terminals) is the other hypothesis (Bertolasi et al.
1993 Ann Neurol 33:176; Lambert's model); here it enters as a larger evoked afferent volley and a
small depolarising background, not as ectopic motor-axon discharge.

The pool (:class:`CrampParams`) is the reduced bistable neuron of
:mod:`myoreflex.physiology.bistable` spread over ``n_units`` thresholds, with, in
:data:`~myoreflex.physiology.bistable.DRIVE_UNIT`::

    drive(t) = background + sum_k volley exp(-(t - t_k) / tau_volley) [t >= t_k] - relief(t)
    unit inhibition I = tonic autogenic (Ib) and other inhibition of the muscle in its position

``background`` is the net tonic excitation of the pool (spindle Ia/II input and the excitability of
the membrane), ``volley`` the synaptic drive one stimulus of the nerve adds (decaying with
``tau_volley``), ``relief`` the inhibition a manoeuvre adds. A stimulation train at frequency ``f``
raises the mean drive by ``volley * tau_volley * f``: temporal summation, so a cramp needs a train
above a threshold frequency. With the PIC on, a unit keeps firing without the train while
``background - I + A m h >= threshold``; the PIC's slow partial inactivation ``h`` (here a lumped
slow adaptation with a 30 s time constant, an ASSUMPTION calibrated so that electrically elicited
cramps last tens of seconds as in Minetto et al. 2009 and 2011) ends the cramp. A cramp is ended
at once when an inhibitory input pushes the units below the PIC's deactivation level
(``background - I - relief < pic_threshold - pic_deactivation``): the PIC switches off and does not
come back when the input ends.

Conditions (:data:`CONDITIONS`): ``fatigue``, ``dehydration_salt_loss``, ``low_calcium``,
``low_magnesium``, ``cold``, ``shortened_position``, ``cramp_prone``, each a tuple of
:class:`myoreflex.conditions.Change` on the dotted paths of :class:`CrampParams`, scaled by a
severity in [0, 1] exactly as the reflex conditions are (``w = 1 - (1 - s)^2``,
:func:`myoreflex.conditions.severity_weight`). The direction of every change is cited; its size is an
ASSUMPTION except ``cramp_prone``, whose size at severity 1 is calibrated to Miller & Knight 2009
(cramp threshold frequency 14.9 +- 1.3 Hz with a cramp history, 25.5 +- 1.6 Hz without).

Relief (:data:`RELIEFS`): ``static_stretch``, ``antagonist_contraction``, ``tendon_stimulation``,
``warming``, ``electrolyte_repletion``, each an input applied at a time during a simulated cramp
(:func:`relief_input`), with the mechanism it stands for cited and its size an ASSUMPTION.

References: Baldissera F, Cavallari P, Dworzak F (1994) Brain 117:929. Bertolasi L et al. (1993) Ann
Neurol 33:176. Khan SI, Burne JA (2007) J Neurophysiol 98:1102. Miller KC, Knight KL (2009) Muscle
Nerve 39:364. Minetto MA et al. (2009) J Neurophysiol 102:1890; (2011) J Physiol 589:5759; (2013)
Exerc Sport Sci Rev 41:3. Schwellnus MP et al. (1997) J Sports Sci 15:277.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import numpy as np

from myoreflex.conditions import Change
from myoreflex.errors import ParameterError, describe
from myoreflex.params import get_param, param, with_overrides
from myoreflex.physiology import bistable
from myoreflex.registry import Registry

DRIVE_UNIT = bistable.DRIVE_UNIT

MILLER_KNIGHT_2009 = ("Miller & Knight 2009 Muscle Nerve 39:364: cramp threshold frequency 14.9 +- 1.3 Hz with a cramp "
                      "history vs 25.5 +- 1.6 Hz without (ANCHORS 8.2)")
MINETTO_2009 = ("Minetto et al. 2009 J Neurophysiol 102:1890: motor units during electrically elicited cramps active "
                "23.6 +- 16.2 s at 14.5 +- 5.1 pps (min 6.0 +- 0.8, max 25.0 +- 8.0 pps)")
MINETTO_2011 = ("Minetto et al. 2011 J Physiol 589:5759: electrically elicited cramps last 55.6 +- 19.2 s; with a "
                "nerve block 2.6 +- 1.3 s and a higher threshold (18 vs 13 Hz): the sustained discharge is spinal")
KHAN_BURNE = ("Khan & Burne 2007 J Neurophysiol 98:1102: tendon (Ib) inhibition is weaker in subjects who cramp and "
              "ineffective in the shortened, contracting muscle; Achilles tendon stimulation inhibits a cramp")
BERTOLASI = ("Bertolasi et al. 1993 Ann Neurol 33:176: no cramp after maximal effort without shortening, 7/10 with "
             "it; muscle stretch interrupts cramps")
BEHRINGER_2014 = ("Behringer et al. 2014 PLOS ONE 9:e94910: calves fixed in a neutral position did not cramp under "
                  "stimulation that cramped the shortened side")
SCHWELLNUS = ("Schwellnus et al. 1997 J Sports Sci 15:277; Schwellnus 2009 Br J Sports Med 43:401: fatigue raises "
              "spindle (Ia/II) excitation and lowers Golgi tendon organ (Ib) inhibition of the motor neurons")
STONE_2003 = ("conflicting: Stone et al. 2003 (flexor hallucis brevis) found the threshold frequency RAISED after a "
              "local fatiguing exercise (20.0 -> 32.9 Hz); the hypothesis's direction is kept")
BERGERON = ("Bergeron's contracted-interstitial-compartment hypothesis (sweat sodium loss makes nerve terminals "
            "hyperexcitable; Bergeron 2008 Curr Sports Med Rep 7:S50); contested: no electrolyte or body-mass "
            "difference between crampers and non-crampers (Schwellnus et al. 2004, 2011; ANCHORS 8.1): kept small")
CALCIUM = ("low extracellular calcium lowers the threshold of axons (less surface-charge screening of the Na "
           "channel's voltage sensor: Frankenhaeuser & Hodgkin 1957 J Physiol 137:218): tetany, cramps")
MAGNESIUM = ("low magnesium releases more transmitter at the neuromuscular junction (Mg competes with Ca: del "
             "Castillo & Engbaek 1954 J Physiol 124:370) and raises nerve excitability; note magnesium does not "
             "prevent idiopathic cramps (Garrison et al. 2020 Cochrane CD009402)")
TEMPERATURE = ("warming hyperpolarises human motor axons (6 C of focal hyperthermia ~ 2 mV, Howells et al. 2013 J "
               "Physiol 591:3963, PMC3832120, through the Na/K pump's Q10 and slow K channels): cooling, the "
               "converse, depolarises; a clinical association of cold with cramps is assumed, not verified here")
STRETCH = ("static stretch: Golgi tendon organ (Ib) autogenic inhibition rises with passive tension (the "
           "purported mechanism of stretch relief, PMC5687236 key points; Schwellnus 1997); " + BERTOLASI)
RECIPROCAL = ("antagonist contraction: reciprocal Ia inhibition of the cramping muscle's motor neurons during "
              "voluntary contraction of its antagonist (Tanaka 1974 Exp Brain Res 21:529)")
CALIBRATED_CRAMP = "calibrated to " + MILLER_KNIGHT_2009
ASSUMED = "ASSUMPTION"


def _pool() -> bistable.BistablePoolParams:
    """The cramp-susceptible pool: Booth's 5-HT neuron (physiology.bistable), nearly its full PIC, a low
    recruitment rate and a slow inactivation that ends the self-sustained discharge after tens of s."""
    unit = bistable.BistableParams(
        monoamine_level=0.93,  # A m = 11.2 drive units: the PIC sustains 25 pps at the cramp's start
        inhibition=2.0,
        pic_threshold=5.3,  # the PIC turns on at recruitment (HEALTHY, physiology.bistable)
        pic_deactivation=8.1,  # Booth's 5-HT hysteresis width (calibrated value of the neuron)
        pic_inactivation=0.9,
        pic_inactivation_time=30.0,
        rate_at_recruitment=6.0,  # the lowest discharge rate during cramps, Minetto et al. 2009: 6.0 +- 0.8 pps
    )
    return bistable.BistablePoolParams(unit=unit, n_units=20, threshold_range=12.0)


POOL_SOURCES = {
    "pool.unit.monoamine_level": ASSUMED + ": A m = 11.2, the PIC keeps the first unit at ~24 pps at the "
                                 "cramp's start (" + MINETTO_2009 + ")",
    "pool.unit.inhibition": ASSUMED + ": tonic inhibition of the muscle in the protocol's position; its fall "
                            "with cramp-proneness calibrated (" + KHAN_BURNE + ")",
    "pool.unit.pic_inactivation": ASSUMED + ": the self-sustained discharge ends as the PIC inactivates",
    "pool.unit.pic_inactivation_time": ASSUMED + ": 30 s, a lumped slow adaptation calibrated to cramp durations "
                                       "of tens of s (" + MINETTO_2011 + ")",
    "pool.unit.rate_at_recruitment": "Minetto et al. 2009: lowest rate during cramps 6.0 +- 0.8 pps",
}
"""Why the cramp pool's neuron differs from :func:`myoreflex.physiology.bistable.calibrated`."""


class CrampParams(eqx.Module):
    """A cramp-susceptible motor neuron pool and the inputs of the cramp protocols (drive in
    :data:`DRIVE_UNIT`)."""

    pool: bistable.BistablePoolParams = eqx.field(default_factory=_pool)
    background_drive: float = param(
        4.0, unit=DRIVE_UNIT, bounds=(0.0, 20.0),
        source=ASSUMED + ": net tonic excitation (spindle input, membrane excitability) below the PIC's onset, "
               "above its deactivation level (a cramp, once on, sustains itself)",
    )
    volley_drive: float = param(
        1.05, unit=DRIVE_UNIT, bounds=(0.0, 20.0),
        source=CALIBRATED_CRAMP + ": synaptic drive of one afferent volley; the non-prone threshold near 25 Hz",
    )
    volley_time_constant: float = param(
        0.1, unit="s", bounds=(0.005, 1.0),
        source=ASSUMED + ": decay of the drive a volley leaves (EPSP summation with PIC amplification), so that "
               "the mean drive follows the train's frequency",
    )
    lengthened_inhibition: float = param(
        6.0, unit=DRIVE_UNIT, bounds=(0.0, 50.0),
        source=ASSUMED + ": extra Ib inhibition of a muscle contracting at neutral length rather than shortened "
               "(" + KHAN_BURNE + "; " + BERTOLASI + "; " + BEHRINGER_2014 + ")",
    )


HEALTHY = CrampParams()
"""A subject without a cramp history, on the electrically induced cramp protocol (flexor hallucis brevis,
the toe free to flex, so the muscle shortens as it contracts)."""


@dataclasses.dataclass(frozen=True)
class CrampCondition:
    """A named cramp condition: what it stands for, and its changes at severity 1."""

    name: str
    stands_for: str
    changes: tuple[Change, ...]

    def describe(self) -> list[str]:
        """Each change as ``path xM at severity 1 -- source``."""
        return [f"{change.describe()} -- {change.source}" for change in self.changes]


_CONDITIONS = {
    "healthy": CrampCondition("healthy", "no cramp history (Miller & Knight 2009 group 2)", ()),
    "cramp_prone": CrampCondition(
        "cramp_prone", "a cramp history (Miller & Knight 2009 group 1)",
        (Change("pool.unit.inhibition", CALIBRATED_CRAMP + "; direction: " + KHAN_BURNE, scale=0.4),),
    ),
    "fatigue": CrampCondition(
        "fatigue", "a fatigued muscle (altered neuromuscular control hypothesis)",
        (Change("background_drive", ASSUMED + " size; direction: " + SCHWELLNUS + "; " + STONE_2003, shift=0.4),
         Change("pool.unit.inhibition", ASSUMED + " size; direction: " + SCHWELLNUS, scale=0.75)),
    ),
    "dehydration_salt_loss": CrampCondition(
        "dehydration_salt_loss", "sweat sodium and water loss",
        (Change("volley_drive", ASSUMED + " size; direction: " + BERGERON, scale=1.08),
         Change("background_drive", ASSUMED + " size; direction: " + BERGERON, shift=0.2)),
    ),
    "low_calcium": CrampCondition(
        "low_calcium", "hypocalcaemia (low ionised calcium)",
        (Change("volley_drive", ASSUMED + " size; direction: " + CALCIUM, scale=1.15),
         Change("background_drive", ASSUMED + " size; direction: " + CALCIUM, shift=0.4)),
    ),
    "low_magnesium": CrampCondition(
        "low_magnesium", "hypomagnesaemia",
        (Change("volley_drive", ASSUMED + " size; direction: " + MAGNESIUM, scale=1.1),
         Change("background_drive", ASSUMED + " size; direction: " + MAGNESIUM, shift=0.3)),
    ),
    "cold": CrampCondition(
        "cold", "a cooled limb",
        (Change("background_drive", ASSUMED + " size; direction: " + TEMPERATURE, shift=0.4),),
    ),
    "shortened_position": CrampCondition(
        "shortened_position", "the muscle held shorter than the protocol's position",
        (Change("pool.unit.inhibition", ASSUMED + " size; direction: " + KHAN_BURNE + "; " + BERTOLASI, scale=0.6),),
    ),
}
CONDITIONS = Registry("cramp condition", _CONDITIONS)
"""The cramp conditions by name (``healthy`` changes nothing)."""


def apply_cramp_condition(params: CrampParams, condition: str, severity: float = 1.0) -> CrampParams:
    """Apply a named cramp condition at ``severity`` in [0, 1].

    Parameters
    ----------
    params : the subject (usually :data:`HEALTHY`).
    condition : a name of :data:`CONDITIONS`.
    severity : 0 leaves the subject as it is, 1 applies the full change listed.

    Returns
    -------
    CrampParams with the condition's changes applied (each linear in ``1 - (1 - severity)^2``).

    Examples
    --------
    >>> prone = apply_cramp_condition(HEALTHY, "cramp_prone", 1.0)
    >>> round(prone.pool.unit.inhibition / HEALTHY.pool.unit.inhibition, 2)
    0.4
    >>> apply_cramp_condition(HEALTHY, "cold", 0.0) == HEALTHY
    True
    """
    entry = CONDITIONS.lookup(condition)
    if isinstance(severity, bool) or not isinstance(severity, (int, float)) or not 0.0 <= severity <= 1.0:
        raise ParameterError(describe("severity", "a number in [0, 1]", repr(severity)))
    overrides: dict[str, float] = {}
    for change in entry.changes:
        current = overrides.get(change.path, get_param(params, change.path))
        overrides[change.path] = float(change.apply(current, float(severity)))
    return with_overrides(params, overrides) if overrides else params


@dataclasses.dataclass(frozen=True)
class Relief:
    """A manoeuvre applied during a cramp: an inhibitory input of ``inhibition`` (:data:`DRIVE_UNIT`) for
    ``duration_s`` from its onset, and/or a lasting ``depolarisation`` change of the background (negative:
    hyperpolarising); ``restores_background`` removes a condition's excess background drive."""

    name: str
    mechanism: str
    inhibition: float = 0.0
    duration_s: float = 0.0
    depolarisation: float = 0.0
    restores_background: bool = False


RELIEFS = Registry("cramp relief", {
    "static_stretch": Relief("static_stretch", STRETCH + ". Size (10 drive units, 30 s hold) " + ASSUMED,
                             inhibition=10.0, duration_s=30.0),
    "antagonist_contraction": Relief("antagonist_contraction",
                                     RECIPROCAL + ". Size (8 drive units for 10 s) " + ASSUMED,
                                     inhibition=8.0, duration_s=10.0),
    "tendon_stimulation": Relief("tendon_stimulation",
                                 KHAN_BURNE + ". Size (10 drive units for 1 s of stimulation) " + ASSUMED,
                                 inhibition=10.0, duration_s=1.0),
    "warming": Relief("warming", TEMPERATURE + ". Size (a 1 drive-unit hyperpolarising shift) " + ASSUMED,
                      depolarisation=-1.0),
    "electrolyte_repletion": Relief(
        "electrolyte_repletion",
        "removes the excess background drive of an electrolyte condition (a step: " + ASSUMED + "; oral repletion "
        "takes far longer to change plasma, and the fast relief after pickle juice came before any plasma change, "
        "Miller et al. 2010 Med Sci Sports Exerc 42:953, unverified here)",
        restores_background=True),
})
"""The relief manoeuvres by name."""


def relief_input(relief: str, time, onset_s: float, params: CrampParams) -> np.ndarray:
    """The change of the pool's drive (:data:`DRIVE_UNIT`) a relief manoeuvre makes from ``onset_s``.

    Parameters
    ----------
    relief : a name of :data:`RELIEFS`.
    time : sample times (s), shape (T,).
    onset_s : when the manoeuvre starts (s).
    params : the subject (its background drive, for ``electrolyte_repletion``).

    Returns
    -------
    Drive change, shape (T,): negative while the manoeuvre inhibits or hyperpolarises.

    Examples
    --------
    >>> t = np.arange(0.0, 3.0, 0.5)
    >>> relief_input("tendon_stimulation", t, 1.0, HEALTHY).tolist()
    [0.0, 0.0, -10.0, -10.0, 0.0, 0.0]
    >>> low_ca = apply_cramp_condition(HEALTHY, "low_calcium")
    >>> round(float(relief_input("electrolyte_repletion", t, 1.0, low_ca)[-1]), 3)
    -0.4
    """
    entry = RELIEFS.lookup(relief)
    time = np.asarray(time, dtype=float)
    after = time >= onset_s
    change = np.where(after & (time < onset_s + entry.duration_s), -entry.inhibition, 0.0)
    change = change + np.where(after, entry.depolarisation, 0.0)
    if entry.restores_background:
        excess = max(0.0, float(params.background_drive) - float(HEALTHY.background_drive))
        change = change - np.where(after, excess, 0.0)
    return change


def cite_condition(condition: str) -> list[str]:
    """The changes of a cramp condition with their sources, one line each.

    Examples
    --------
    >>> cite_condition("cold")[0].startswith("background_drive +0.4 at severity 1")
    True
    """
    return CONDITIONS.lookup(condition).describe()
