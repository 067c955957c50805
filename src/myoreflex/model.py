"""The reflex loop assembled from its parts: parameters, state layout and one time step.

Signal flow in one step of length ``dt`` (the default, spindle-driven loop)::

    joint angle q ──► musculotendon lengths ──► muscle (fibre length, force)
         ▲                                       │          │
         │                                 spindle Ia, II   tendon organ Ib
         │                                       └────┬─────┘
         │                              afferent delay (history buffer)
         │                                            ▼
         │         descending drive ──► spinal circuit ──► motor neuron pool
         │                                                      │
         │                                       efferent delay (history buffer)
         └──── limb dynamics ◄── muscle torque ◄── excitation ◄─┘

Each joint has two muscles: the *agonist* (the tested muscle, stretched by +q) and its
*antagonist*. Neural parameters (spindle, tendon organ, circuit, pool, descending) are shared by
both; mechanics and geometry are per muscle. Musculotendon length and joint torque::

    l_MT = l_Ts + l_opt cos(alpha_0) + s r (q - q_opt),   tau = -s r F_T,

with ``s = +1`` for the agonist and ``-1`` for the antagonist (constant moment arm ``r``).

Model variants are types, as diffrax's solvers are: each is a parameter class of its own with the
same methods as its siblings, holds its own parameters only, and its type picks the code at trace
time. One registry per kind names them (``default_params(spindle=, tendon=, feedback=)``):

========  ===================  ==========================================================
kind      registry             variants (the default first)
========  ===================  ==========================================================
feedback  :data:`FEEDBACKS`    ``"spindle"`` :class:`SpinalLoop`, ``"force"`` :class:`ForceFeedbackLoop`
spindle   :data:`SPINDLES`     ``"mileusnic"`` :class:`~myoreflex.physiology.spindle.MileusnicSpindle`,
                               ``"prochazka"`` :class:`~myoreflex.physiology.spindle.ProchazkaSpindle`
tendon    :data:`TENDONS`      ``"compliant"`` :class:`~myoreflex.physiology.muscle.CompliantTendonMuscle`,
                               ``"rigid"`` :class:`~myoreflex.physiology.muscle.RigidTendonMuscle`
========  ===================  ==========================================================

The feedback variant is the loop's own class (a subclass of the abstract :class:`ReflexParams`),
the spindle variant the class of ``spindle``, the tendon variant the class of both muscles. The
default loop keeps every parameter path it ever had. The others: a Prochazka spindle's
coefficients are ``spindle.velocity_coefficient`` etc. (formerly ``prochazka.*``); a rigid tendon
has no ``agonist.tendon_strain_at_unit_force``; a force-feedback loop has ``force_feedback.*``, and
of the spinal loop's ``circuit.*``, ``delays.*``, ``motoneuron.*`` and ``descending.*`` only
``motoneuron.tone`` and ``descending.gamma_dynamic`` / ``gamma_static``. (A Prochazka spindle
ignores the fusimotor rates, which stay in the loop's descending control.)

Degenerate parameters: in the spinal loop ``motoneuron.threshold``, ``descending.inhibition`` and
``descending.facilitation`` act only through ``threshold + inhibition - facilitation`` (exactly, with
or without a PIC, whose onset moves with the threshold; :mod:`myoreflex.physiology.motoneuron`), so a
fit frees one of them.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from myoreflex.arrays import stack
from myoreflex.calibrated import HEALTHY_KNEE
from myoreflex.errors import ParameterError, describe
from myoreflex.params import check_choices, check_parts, choice, param, part_classes, recast
from myoreflex.physiology import limb as limb_mod
from myoreflex.physiology.descending import DescendingParams, FusimotorDrive
from myoreflex.physiology.limb import LimbParams
from myoreflex.physiology.motoneuron import (
    MotoneuronParams,
    MotoneuronState,
    PoolTone,
    motoneuron_equilibrium,
    motoneuron_step,
)
from myoreflex.physiology.muscle import (
    MAX_FORCE,
    TENDONS,
    MuscleParams,
    MuscleState,
    muscle_equilibrium,
    muscle_step,
)
from myoreflex.physiology.spinal_circuit import (
    FALISSE,
    PDB,
    CircuitParams,
    ForceFeedbackParams,
    ForceFeedbackState,
    force_feedback_step,
    net_input,
)
from myoreflex.physiology.spindle import SPINDLES, MileusnicSpindle, SpindleModel
from myoreflex.physiology.tendon_organ import (
    TendonOrganParams,
    TendonOrganState,
    tendon_organ_equilibrium,
    tendon_organ_rate_static,
    tendon_organ_step,
)
from myoreflex.registry import Registry
from myoreflex.units import DEG

JOINTS = ("knee", "elbow", "ankle", "wrist")
MAX_DELAY = 0.060  # s; the history buffers hold this much (static), delays above are refused

DELP = "Delp et al. 1990 IEEE TBME 37:757 (OpenSim gait model), lumped and rounded"
HOLZBAUR = "Holzbaur et al. 2005 Ann Biomed Eng 33:829 (OpenSim upper-limb model), lumped and rounded"
LATENCY = ("published tendon/H-reflex onset latencies by muscle, scaled with height (Stam & van Crevel 1989 "
           "J Neurol 236:231: latencies linear in height); values and sources in model._JOINT_TABLE")
REFERENCE_HEIGHT = 1.75
"""Body height (m) at which the joint table's reflex latencies apply; delays scale in proportion to it."""


class MuscleGeometry(eqx.Module):
    """Constant moment arm and the joint angle at which the fibres sit at optimal length.

    ``optimal_angle`` lies inside a joint's range of motion
    (:data:`myoreflex.physiology.limb.ANATOMICAL_ANGLES`, -80 to 190 deg): fibres at optimal length
    at an angle no joint reaches are stretched far past their range within the joint's own.
    """

    moment_arm: float = param(0.04, unit="m", bounds=(0.002, 0.1), source=DELP)
    optimal_angle: float = param(1.2, unit="rad", bounds=limb_mod.ANATOMICAL_ANGLES,
                                 source="calibrated: fibres at l_opt near rest; bounds: physiology.limb.RANGE_OF_MOTION")


class DelayParams(eqx.Module):
    """Afferent (receptor to spinal cord) and efferent (cord to muscle) conduction delays.

    Their sum is the reflex latency from the receptor to the EMG onset (afferent conduction,
    central synaptic delay, efferent conduction): what a tendon-tap (T) or H-reflex latency
    measures. The muscle's electromechanical delay (EMG to force) is not in it: the pool's lag
    (``motoneuron.time_constant``) and activation dynamics (``agonist.activation_time``) add that.
    :func:`default_params` sets the sum per joint and height (:func:`reflex_latency`) and splits it
    in half; only the sum enters the loop's dynamics (the afferents are read after the one, the drive
    after the other, and nothing acts in between but the pool).
    """

    afferent: float = param(0.009, unit="s", bounds=(0.0, MAX_DELAY / 2), source=LATENCY + "; half the loop")
    efferent: float = param(0.009, unit="s", bounds=(0.0, MAX_DELAY / 2), source=LATENCY + "; half the loop")


# ---------------------------------------------------------------------------------------------
# The loop's parameters: what every loop shares, and one class per feedback variant


class ReflexParams(eqx.Module):
    """Every parameter of one subject's joint and its reflex loop (a single pytree; abstract).

    What every loop shares. The concrete class is the loop's feedback variant (:data:`FEEDBACKS`):
    :class:`SpinalLoop` or :class:`ForceFeedbackLoop`, each adding its own parts and the three
    methods below, which :func:`initial_state` and :func:`step` call. Each declares its own
    ``motoneuron`` (whose ``tone`` is the resting excitation) and ``descending`` (with the
    spindles' fusimotor rates ``gamma_dynamic`` and ``gamma_static``). ``spindle`` holds a
    spindle variant (:data:`SPINDLES`), ``agonist`` and ``antagonist`` one tendon variant
    (:data:`TENDONS`). Built by :func:`default_params`; the structure is checked when a parameter
    set is built (:meth:`__check_init__`), the values by :func:`myoreflex.params.validate`.
    """

    reference: ClassVar[str]

    limb: LimbParams
    agonist: MuscleParams
    antagonist: MuscleParams
    agonist_geometry: MuscleGeometry
    antagonist_geometry: MuscleGeometry
    spindle: SpindleModel = MileusnicSpindle()
    tendon_organ: TendonOrganParams = TendonOrganParams()
    joint: str = choice("knee", options=JOINTS, doc="which joint")
    muscle_names: tuple[str, str] = choice(("quadriceps", "hamstrings"), doc="agonist, antagonist")

    def __check_init__(self):
        """The structure: options, part classes, two named muscles of one tendon model."""
        check_choices(self)
        check_parts(self)
        names = self.muscle_names
        if not (isinstance(names, tuple) and len(names) == 2 and names[0] != names[1]
                and all(isinstance(name, str) and name.isidentifier() and name == name.lower() for name in names)):
            raise ParameterError(describe("parameter `muscle_names`", "two different lower-case names "
                                          "(agonist, antagonist), e.g. ('quadriceps', 'hamstrings')", repr(names)))
        if type(self.agonist) is not type(self.antagonist):
            raise ParameterError(describe("parameter `antagonist`", f"the agonist's tendon model "
                                          f"({_name(TENDONS, self.agonist)})", _name(TENDONS, self.antagonist),
                                          "both muscles of a joint share one tendon model"))

    @abc.abstractmethod
    def feedback_rest(self, ia, ii, ib, force_norm, n_buffer: int):
        """The feedback's state with the loop at rest, from both muscles' afferent rates (pps)
        and normalised tendon forces; ``n_buffer`` rows of history (:func:`buffer_length`)."""

    @abc.abstractmethod
    def feedback_drive(self, feedback, head, dt):
        """The reflex excitation (1) of both muscles over the step that writes row ``head``."""

    @abc.abstractmethod
    def feedback_step(self, feedback, ia, ii, ib, force_norm, previous_force, head, dt, synaptic_input=None):
        """The feedback's state at the end of the step, from its afferent rates (pps) and the
        normalised tendon forces now and one step before; ``synaptic_input`` (pps, both pools; None:
        none) is what a protocol adds at the motor neurons (:class:`myoreflex.simulation.Drive`)."""


class SpinalState(eqx.Module):
    """The spinal loop's state: the pool, and ring buffers of afferent rates and pool drive.

    ``afferent_history`` (n_buffer, 6): Ia, II, Ib of both muscles; ``efferent_history``
    (n_buffer, 2): the pool drive of both muscles.
    """

    motoneuron: MotoneuronState
    afferent_history: jax.Array
    efferent_history: jax.Array


class SpinalLoop(ReflexParams):
    """The spindle-driven spinal loop (``feedback="spindle"``, the default).

    Ia, II and Ib reach the spinal circuit after the afferent delay; the circuit's net input drives
    the motor neuron pool, whose output reaches the muscles after the efferent delay.

    Examples
    --------
    >>> loop = default_params("knee")
    >>> type(loop).__name__, loop.circuit.ia_weight, loop.delays.afferent
    ('SpinalLoop', 1.0, 0.009)
    """

    reference: ClassVar[str] = PDB + "; delays: " + LATENCY
    motoneuron: MotoneuronParams = MotoneuronParams()
    descending: DescendingParams = DescendingParams()
    circuit: CircuitParams = CircuitParams()
    delays: DelayParams = DelayParams()

    def _pool_input(self, ia, ii, ib):
        """Net input to both pools (pps): own Ia, II, Ib, the antagonist's Ia, descending drive."""
        descending = self.descending
        return net_input(ia, ii, ib, ia[::-1], descending.facilitation, descending.inhibition, self.circuit)

    def feedback_rest(self, ia, ii, ib, force_norm, n_buffer):
        """The pool at equilibrium with the resting afferents, buffers filled with the rest values."""
        pool = jax.vmap(motoneuron_equilibrium, in_axes=(0, None))(self._pool_input(ia, ii, ib), self.motoneuron)
        return SpinalState(pool, _fill(jnp.concatenate([ia, ii, ib]), n_buffer), _fill(pool.drive, n_buffer))

    def feedback_drive(self, feedback, head, dt):
        """The pool drive that left the cord ``delays.efferent`` before the step's midpoint.

        Held over the step, the drive acts at the step's midpoint t + dt/2, so it is read
        ``delay - dt/2`` before the newest row (the pool drive at t): it then reaches the muscle
        exactly ``delay`` after it left the pool. Reading ``delay`` back instead adds dt/2 to the
        loop delay, a first-order timing error that would set the pendulum's step.
        """
        previous_head = (head - 1) % feedback.efferent_history.shape[0]
        lead = jnp.maximum(self.delays.efferent - 0.5 * dt, 0.0)
        return _read(feedback.efferent_history, previous_head, lead, dt)

    def feedback_step(self, feedback, ia, ii, ib, force_norm, previous_force, head, dt, synaptic_input=None):
        """Push the afferents, read them ``delays.afferent`` back, step the pool (with the protocol's
        ``synaptic_input`` added to its net input, undelayed: it is applied at the cord), push its drive."""
        afferent_history = _push(feedback.afferent_history, jnp.concatenate([ia, ii, ib]), head)
        delayed = _read(afferent_history, head, self.delays.afferent, dt)
        u = self._pool_input(delayed[0:2], delayed[2:4], delayed[4:6])
        if synaptic_input is not None:
            u = u + _per_muscle(synaptic_input, u)
        pool, _ = jax.vmap(motoneuron_step, in_axes=(0, 0, None, None))(feedback.motoneuron, u, self.motoneuron, dt)
        return SpinalState(pool, afferent_history, _push(feedback.efferent_history, pool.drive, head))


class ForceFeedbackLoop(ReflexParams):
    """Force and force-rate feedback of Falisse et al. 2018 (``feedback="force"``).

    The normalised tendon force and its rate drive the muscles through smooth thresholds and a
    first-order filter, which stands in for the delay: no circuit, no delays, no pool model (its
    ``motoneuron`` is the resting tone only) and no descending control but the spindles' fusimotor
    drive. The spindle and tendon organ still run, so their rates are recorded.

    Examples
    --------
    >>> loop = default_params("elbow", feedback="force")
    >>> type(loop).__name__, loop.force_feedback.time_constant
    ('ForceFeedbackLoop', 0.03)
    """

    reference: ClassVar[str] = FALISSE
    motoneuron: PoolTone = PoolTone()
    descending: FusimotorDrive = FusimotorDrive()
    force_feedback: ForceFeedbackParams = ForceFeedbackParams()

    def feedback_rest(self, ia, ii, ib, force_norm, n_buffer):
        """Both pathways silent. Not the steady state where the gains are above 0 and the resting
        force above its threshold: the force pathway then rises to it over the first time constants."""
        return ForceFeedbackState(jnp.zeros_like(force_norm), jnp.zeros_like(force_norm))

    def feedback_drive(self, feedback, head, dt):
        """The filtered force and force-rate excitations."""
        return feedback.force + feedback.force_rate

    def feedback_step(self, feedback, ia, ii, ib, force_norm, previous_force, head, dt, synaptic_input=None):
        """:func:`~myoreflex.physiology.spinal_circuit.force_feedback_step` with the backward
        difference of the force. This loop has no pool: a protocol's ``synaptic_input`` is refused
        before the run (:func:`myoreflex.simulation.simulate`)."""
        force_rate = (force_norm - previous_force) / dt
        feedback, _ = jax.vmap(force_feedback_step, in_axes=(0, 0, 0, None, None))(
            feedback, force_norm, force_rate, self.force_feedback, dt
        )
        return feedback


FEEDBACKS = Registry("feedback", {"spindle": SpinalLoop, "force": ForceFeedbackLoop})
"""The feedback variants of the loop by name (``default_params(feedback=...)``)."""


def _name(registry: Registry, part) -> str:
    """The registry name of a variant's class (its class name if unregistered)."""
    return next((name for name in registry if type(part) is registry[name]), type(part).__name__)


def variants(params: ReflexParams) -> dict[str, str]:
    """The names of a parameter set's variants, as :func:`default_params` takes them.

    Examples
    --------
    >>> variants(default_params("knee", tendon="rigid"))
    {'spindle': 'mileusnic', 'tendon': 'rigid', 'feedback': 'spindle'}
    """
    return {"spindle": _name(SPINDLES, params.spindle), "tendon": _name(TENDONS, params.agonist),
            "feedback": _name(FEEDBACKS, params)}


# Per-joint muscles (agonist = tested, stretched by +q), moment arms, fibre-optimal angles and
# reflex-loop delays. Forces, optimal fibre and tendon slack lengths and pennation: lumped groups
# of Delp et al. 1990 (leg) and Holzbaur et al. 2005 (arm), rounded. Optimal angles: calibrated so
# the fibres sit near optimal length around the joint's rest position (see tests/test_model.py).
# Reflex thresholds (pps): calibrated per joint (knee: MotoneuronParams' default), each raised in
# issue 14 by the resting autogenic Ib inhibition w_Ib Ib_rest that the tendon organ's former
# cat-sized force scale (4 N) had added to a relaxed muscle at rest, so that a healthy joint keeps
# the excitability it was calibrated to: knee +55, elbow +37, ankle +52, wrist +21.5 pps
# (physiology.tendon_organ; now Ib_rest is 1.4-1.6 pps).
_JOINT_TABLE = {
    "knee": dict(
        names=("quadriceps", "hamstrings"),
        agonist=(4400.0, 0.13, 0.14, 5.0),  # vasti: VI + VL + VM (l_opt: effective, see below)
        antagonist=(2075.0, 0.10, 0.33, 10.0),  # biceps femoris LH + semimembranosus + semitendinosus
        arms=(0.040, 0.030),
        optimal=(85 * DEG, 30 * DEG),
        # Patellar T-reflex onset latency (quadriceps): 17.4 +- 1.6 ms (Chon et al. 1996 J Korean Acad
        # Rehabil Med 20:28, 50 adults) and 16.4 +- 1.6 ms (Kim et al. 1997 ibid. 21:310, 48 adults),
        # shorter adults; about 20 ms in ANCHORS 3.8 (unverified): 18 ms at 1.75 m.
        loop_delay=0.018,
        # Compliant passive tissue, as at the elbow and wrist: with De Groote et al. 2016's curve
        # (k_PE 4, e0 0.6) a child's quadriceps alone adds about 2.7 N m/rad near the resting angle, and
        # neither TD5's nor the tutorial child's near-gravity swing (first period 1.1 s) nor CP1's can
        # be fitted (RMSE 11-17 deg); with k_PE 6, e0 1.0 all three fit to 2.3-2.8 deg (issue 14,
        # docs/calibration.md).
        passive=dict(passive_shape=6.0, passive_strain_at_unit_force=1.0),
        limb=dict(neutral_angle=80 * DEG),
        # With calibrated=True: damping, stiffness, baseline torque and short-range stiffness calibrated
        # on a typically developing child's pendulum test (myoreflex.calibration, generated into
        # myoreflex.calibrated; docs/calibration.md).
        calibrated_limb={path.removeprefix("limb."): value for path, value in HEALTHY_KNEE.items()},
    ),
    "elbow": dict(
        names=("elbow_flexors", "elbow_extensors"),
        agonist=(2046.0, 0.15, 0.20, 0.0),  # biceps long + short head + brachialis (l_opt effective)
        antagonist=(2047.0, 0.11, 0.15, 10.0),  # triceps long + lateral + medial
        arms=(0.035, 0.020),
        optimal=(100 * DEG, 100 * DEG),
        # Compliant passive tissue of the lumped elbow groups: calibrated to the healthy robot
        # stretches (SpasticMyoElbow data, |T| < 0.7 N m over 80-160 deg; ANCHORS 11).
        passive=dict(passive_shape=6.0, passive_strain_at_unit_force=1.0),
        reflex_gain=0.0006,
        reflex_threshold=307.0,
        # Biceps T-reflex onset latency 12-15 ms (ANCHORS 3.8, unverified; linear in height, Stam &
        # van Crevel 1989, and in arm length, Isik et al. 2004 Neurol India 52:350): 13 ms. The
        # shortest loop of the four: the arm's path to the cervical cord is the shortest (the former
        # 30 ms, Falisse's lumped delay, was longer than the knee's).
        loop_delay=0.013,
        limb=dict(
            neutral_angle=110 * DEG,
            limit_low_angle=35 * DEG,
            limit_high_angle=185 * DEG,
            limit_low_torque=2.0,
            limit_high_torque=2.0,
            limit_low_slope=20.0,
            limit_high_slope=20.0,
        ),
    ),
    "ankle": dict(
        names=("triceps_surae", "tibialis_anterior"),
        agonist=(4431.0, 0.08, 0.27, 20.0),  # soleus + gastrocnemii (l_opt effective, see below)
        antagonist=(905.0, 0.098, 0.223, 5.0),
        arms=(0.050, 0.040),
        optimal=(0.0, -10 * DEG),
        reflex_gain=0.0006,
        reflex_threshold=472.0,
        # Achilles T-reflex onset latency (soleus): 30.3 +- 3.2 ms (Kim et al. 1997), 31.0 +- 3.0 ms
        # (Chon et al. 1996); soleus H-reflex 30.8 +- 2.6 ms (healthy elderly, Falco et al. 1994
        # Muscle Nerve 17:161); 30-35 ms in ANCHORS 3.8: 32 ms at 1.75 m.
        loop_delay=0.032,
        limb=dict(
            neutral_angle=-10 * DEG,
            limit_low_torque=0.18,
            limit_low_slope=12.12,
            limit_low_angle=-0.74,
            limit_high_torque=2.03,
            limit_high_slope=38.11,
            limit_high_angle=0.52,
        ),
    ),
    "wrist": dict(
        names=("wrist_flexors", "wrist_extensors"),
        agonist=(886.0, 0.06, 0.25, 5.0),  # flexor carpi radialis + ulnaris
        antagonist=(781.0, 0.07, 0.22, 5.0),  # extensor carpi radialis longus + brevis + ulnaris
        arms=(0.015, 0.015),
        # Soft passive tissue as at the elbow: calibrated so a healthy wrist's elastic component
        # sits near the NeuroFlexor healthy mean (Pennati et al. 2016: EC 2.7 +- 1.1 N).
        passive=dict(passive_shape=6.0, passive_strain_at_unit_force=1.0),
        optimal=(0.0, 0.0),
        reflex_gain=0.0006,
        reflex_threshold=331.5,
        # Flexor carpi radialis H-reflex onset latency 15.9 +- 1.3 ms (120 arms, Curr J Neurol /
        # Iran J Neurol, cjn.tums.ac.ir article 39298; linear in arm length): 16 ms. (The wrist's
        # stretch-evoked M1 of about 25 ms, ANCHORS 3.8, adds the stretch's rise to the spindle's
        # threshold, which the model's spindle produces itself.)
        loop_delay=0.016,
        limb=dict(
            neutral_angle=0.0,
            limit_low_angle=-80 * DEG,
            limit_high_angle=75 * DEG,
            limit_low_torque=0.5,
            limit_high_torque=0.5,
            limit_low_slope=20.0,
            limit_high_slope=20.0,
            stiffness=0.2,
            damping=0.01,
        ),
    ),
}


def _joint_spec(joint: str) -> dict:
    """The row of :data:`_JOINT_TABLE` of a joint, or a :class:`ParameterError` naming the joints."""
    if joint not in _JOINT_TABLE:
        raise ParameterError(describe("joint", f"one of {', '.join(JOINTS)}", repr(joint)))
    return _JOINT_TABLE[joint]


def reflex_latency(joint: str, height: float = REFERENCE_HEIGHT) -> float:
    """The reflex loop's delay (s) for a joint and a body height (m): the published T- or H-reflex
    onset latency of the joint's tested muscle at 1.75 m (:data:`REFERENCE_HEIGHT`), scaled in
    proportion to height.

    Notes
    -----
    Reflex latencies grow linearly with height, arm and leg length, because they are mostly
    conduction along a path that grows with the body (Stam & van Crevel 1989 J Neurol 236:231,
    biceps, triceps, quadriceps and triceps surae; Kuruoglu & Oh 1993 Electromyogr Clin
    Neurophysiol 33:347). Proportional scaling neglects the ~1 ms central synaptic delay (a few %
    of a leg's latency) and the slower conduction of young children's nerves (Péréon et al. 2004
    Clin Neurophysiol, 268 subjects aged 0-80: T-reflex conduction velocity grows with the log of age), which
    shortens a small child's latency less than its height does.

    Examples
    --------
    >>> round(reflex_latency("knee") * 1e3, 1), round(reflex_latency("knee", 1.38) * 1e3, 1)
    (18.0, 14.2)
    >>> round(reflex_latency("elbow") * 1e3, 1) < round(reflex_latency("knee") * 1e3, 1)
    True
    """
    return _joint_spec(joint)["loop_delay"] * height / REFERENCE_HEIGHT


LATENCY_LOG_SD = {
    "knee": (0.094, "patellar T-reflex onset latency 17.4 +- 1.6 ms (Chon et al. 1996 J Korean Acad Rehabil Med "
                    "20:28, 50 adults) and 16.4 +- 1.6 ms (Kim et al. 1997 ibid. 21:310, 48 adults): coefficient "
                    "of variation 9.2-9.8 %, adults of mixed heights"),
    "ankle": (0.10, "Achilles T-reflex onset latency 30.3 +- 3.2 ms (Kim et al. 1997, 48 adults) and 31.0 +- 3.0 "
                    "ms (Chon et al. 1996, 50 adults): coefficient of variation 9.7-10.6 %, adults of mixed heights"),
}
"""The between-person spread of a joint's reflex latency, as the sd of its log (the coefficient of
variation, which it approximates below 0.2), with its source: joint -> (sd, source). The samples mix
heights, which :func:`reflex_latency` already follows, so at a known height this overstates the spread
(an upper bound); adults' spread applied to children (none published in our sources). Elbow and wrist:
no published spread in our sources (ANCHORS 3.8's biceps latency is unverified)."""


def assumed_latency_log_sd(joint: str, free=()) -> dict[str, tuple[float, str]]:
    """The loop delay's spread (:data:`LATENCY_LOG_SD`) as a fit's held assumption: both delays move
    together, ``{"delays.afferent+delays.efferent": (sd, source)}`` (:class:`~myoreflex.fit.FitSettings`
    ``assumed_sd``); empty for a joint without a published spread or when a delay is ``free``.

    >>> assumed_latency_log_sd("knee")["delays.afferent+delays.efferent"][0]
    0.094
    >>> assumed_latency_log_sd("elbow"), assumed_latency_log_sd("knee", free=("delays.afferent",))
    ({}, {})
    """
    if joint not in LATENCY_LOG_SD or {"delays.afferent", "delays.efferent"} & set(free):
        return {}
    return {"delays.afferent+delays.efferent": LATENCY_LOG_SD[joint]}


def muscle_names(joint: str) -> tuple[str, str]:
    """The (agonist, antagonist) muscle names of a joint's preset, without building its parameters.

    >>> muscle_names("knee")
    ('quadriceps', 'hamstrings')
    """
    return tuple(_joint_spec(joint)["names"])


def default_params(
    joint: str = "knee",
    *,
    body_mass: float = 75.0,
    height: float = 1.75,
    spindle: str = "mileusnic",
    tendon: str = "compliant",
    feedback: str = "spindle",
    calibrated: bool = False,
) -> ReflexParams:
    """A healthy adult's parameters for one joint (defaults: 75 kg, 1.75 m), in the chosen variants.

    Segment mass, centre of mass and inertia come from Winter 2009 for the given body mass and
    height; muscles from Delp et al. 1990 / Holzbaur et al. 2005; loop delays from the joint's
    published reflex latency scaled with height (:func:`reflex_latency`).
    ``spindle``, ``tendon`` and ``feedback`` name the variants (:data:`SPINDLES`, :data:`TENDONS`,
    :data:`FEEDBACKS`); the parameter set holds theirs only. ``calibrated=True``: the joint's passive
    parts calibrated on a real recording (:mod:`myoreflex.calibration`; the knee only, the others
    have none) instead of their cited, hand-set sizes.

    Examples
    --------
    >>> knee = default_params("knee")
    >>> type(knee).__name__, type(knee.spindle).__name__, type(knee.agonist).__name__
    ('SpinalLoop', 'MileusnicSpindle', 'CompliantTendonMuscle')
    >>> default_params("knee", spindle="power law")
    Traceback (most recent call last):
    ...
    myoreflex.errors.ParameterError: spindle model: expected one of mileusnic, prochazka; got 'power law'
    """
    spec = _joint_spec(joint)
    if calibrated and "calibrated_limb" not in spec:
        raise ParameterError(describe(f"calibrated presets of the {joint}", "a joint calibrated on real recordings "
                                      f"({', '.join(j for j, s in _JOINT_TABLE.items() if 'calibrated_limb' in s)})",
                                      joint))
    limb = {**spec["limb"], **(spec["calibrated_limb"] if calibrated else {})}
    for name, value, (low, high), unit in (("body_mass", body_mass, limb_mod.BODY_MASS_BOUNDS_KG, "kg"),
                                           ("height", height, limb_mod.HEIGHT_BOUNDS_M, "m")):
        if not low <= value <= high:
            raise ParameterError(describe(name, f"a value in [{low:g}, {high:g}] {unit}", value))
    spindle_model, muscle_model, loop = SPINDLES.lookup(spindle), TENDONS.lookup(tendon), FEEDBACKS.lookup(feedback)
    segment = limb_mod.segment_from_anthropometry(joint, body_mass, height)
    half = reflex_latency(joint, height) / 2
    parts = dict(
        limb=LimbParams(**{**segment, **limb}),
        agonist=_muscle(muscle_model, *spec["agonist"], **spec.get("passive", {})),
        antagonist=_muscle(muscle_model, *spec["antagonist"], **spec.get("passive", {})),
        agonist_geometry=MuscleGeometry(moment_arm=spec["arms"][0], optimal_angle=spec["optimal"][0]),
        antagonist_geometry=MuscleGeometry(moment_arm=spec["arms"][1], optimal_angle=spec["optimal"][1]),
        spindle=spindle_model(),
        delays=DelayParams(afferent=half, efferent=half),
        motoneuron=MotoneuronParams(
            gain=spec.get("reflex_gain", MotoneuronParams().gain),
            threshold=spec.get("reflex_threshold", MotoneuronParams().threshold),
        ),
        joint=joint,
        muscle_names=spec["names"],
    )
    # Each loop takes the joint's parts it has (a force-feedback loop has no delays), in its classes
    # (its motor neuron part is the resting tone alone).
    classes = part_classes(loop)
    return loop(**{name: part if isinstance(part, classes.get(name, object)) else recast(part, classes[name],
                                                                                         classes[name]())
                   for name, part in parts.items() if name in {field.name for field in dataclasses.fields(loop)}})


def with_variants(params: ReflexParams, *, spindle: str | None = None, tendon: str | None = None,
                  feedback: str | None = None) -> ReflexParams:
    """The same subject in other variants: the parameters the variants share are kept, those a new
    variant adds come from the joint's preset (:func:`default_params`).

    For one parameter set (convert the members before :func:`~myoreflex.params.stack_params`).

    Examples
    --------
    >>> from myoreflex.conditions import apply_condition
    >>> stroke = apply_condition(default_params("knee"), "stroke", 0.7)
    >>> lean = with_variants(stroke, spindle="prochazka", tendon="rigid")
    >>> variants(lean)["tendon"], lean.motoneuron.threshold == stroke.motoneuron.threshold
    ('rigid', True)
    """
    chosen = {**variants(params), **{kind: name for kind, name in
                                     (("spindle", spindle), ("tendon", tendon), ("feedback", feedback))
                                     if name is not None}}
    preset = default_params(params.joint, **chosen)
    params = recast(params, type(preset), preset)
    muscles = {name: recast(getattr(params, name), type(preset.agonist), getattr(preset, name))
               for name in ("agonist", "antagonist")}
    spindle_part = recast(params.spindle, type(preset.spindle), preset.spindle)
    return dataclasses.replace(params, spindle=spindle_part, **muscles)


def _muscle(model: type[MuscleParams], force, l_opt, l_ts, pennation_deg, **passive) -> MuscleParams:
    return model(
        max_isometric_force=force,
        optimal_fibre_length=l_opt,
        tendon_slack_length=l_ts,
        pennation_at_optimal=pennation_deg * DEG,
        **passive,
    )


# ---------------------------------------------------------------------------------------------
# State and one step


class LoopState(eqx.Module):
    """Everything that evolves. Per-muscle fields have a leading axis of 2 (agonist, antagonist).

    ``spindle`` is the spindle variant's state (``None`` for a stateless one) and ``feedback`` the
    feedback variant's (:class:`SpinalState` or
    :class:`~myoreflex.physiology.spinal_circuit.ForceFeedbackState`).
    """

    angle: jax.Array
    angular_velocity: jax.Array
    muscle: MuscleState
    spindle: object
    tendon_organ: TendonOrganState
    feedback: object
    previous_force: jax.Array  # (2,) normalised tendon force at the last step, for dF/dt
    previous_stiffness: jax.Array  # (2,) musculotendon stiffness at the last step (N/m), for the limb
    short_range: limb_mod.ShortRangeState  # the muscles' short-range bonds at the joint (thixotropy)


class Observation(eqx.Module):
    """What one step exposes to the recorder (SI units; per-muscle fields have shape (2,))."""

    angle: jax.Array
    angular_velocity: jax.Array
    torque: jax.Array
    excitation: jax.Array
    activation: jax.Array
    force: jax.Array
    ia: jax.Array
    ii: jax.Array
    ib: jax.Array
    fibre_length_norm: jax.Array


def buffer_length(dt: float) -> int:
    """Static history length that covers :data:`MAX_DELAY` at step ``dt``.

    62 rows at dt = 1 ms; the two ring buffers (afferent and efferent) are one array each, so a
    step writes and reads them with a handful of kernels.
    """
    return int(math.ceil(MAX_DELAY / dt)) + 2


def _stack(a, b):
    return jax.tree_util.tree_map(lambda x, y: stack([x, y]), a, b)


def _muscles(params: ReflexParams):
    return _stack(params.agonist, params.antagonist), _stack(params.agonist_geometry, params.antagonist_geometry)


def _signed(per_muscle):
    """``s x`` for both muscles: the agonist's value as it is, the antagonist's negated."""
    return stack([per_muscle[0], -per_muscle[1]])


def musculotendon_lengths(angle, muscles: MuscleParams, geometry: MuscleGeometry):
    """``l_MT = l_Ts + l_opt cos(alpha_0) + s r (q - q_opt)`` for both muscles (m)."""
    return (
        muscles.tendon_slack_length
        + muscles.optimal_fibre_length * jnp.cos(muscles.pennation_at_optimal)
        + _signed(geometry.moment_arm * (angle - geometry.optimal_angle))
    )


def muscle_torque(force, geometry: MuscleGeometry):
    """Net joint torque of the pair, ``tau = -sum_s s r F_T`` (N m): the agonist pulls towards -q."""
    return geometry.moment_arm[1] * force[1] - geometry.moment_arm[0] * force[0]


# ---------------------------------------------------------------------------------------------
# Physical limits: what no run may exceed (checked at every step by myoreflex.simulation)

MAX_MUSCLE_TORQUE = 3.0
"""Largest net torque the muscles may exert on the joint, in multiples of their maximal isometric joint
torque ``sum_s r F_max`` (the muscles' strength; 238 N m at the knee preset, 112 N m at the elbow, in
the range of published maximal isometric knee extension and elbow flexion torques). Muscles exceed
their isometric torque only when lengthened, by about 10-40 % in vivo (maximal eccentric knee
extension, Westing et al. 1990 Acta Physiol Scand 140:17; in vitro up to 1.8 F_max, De Groote
f_V(1)), plus the passive force of fibres near the end of their range: three times the isometric
torque leaves room for all of it. A single muscle reaches the limit before its own force limit
(:data:`myoreflex.physiology.muscle.MAX_FORCE`) when it has the larger arm, so the message names
the torque the user sees."""


class PhysicalLimits(eqx.Module):
    """The limits of one parameter set (or a batch: arrays with the batch shape) that a run may not pass.

    ``angle`` (rad): the joint's range of motion plus a margin
    (:func:`myoreflex.physiology.limb.plausible_range`); ``angular_velocity`` (rad/s):
    :data:`myoreflex.physiology.limb.MAX_ANGULAR_VELOCITY`; ``muscle_torque`` (N m):
    :data:`MAX_MUSCLE_TORQUE` times the muscles' maximal isometric joint torque; ``force`` (N, per
    muscle, shape (2, *batch)): :data:`myoreflex.physiology.muscle.MAX_FORCE` times each F_max.
    """

    angle: tuple[float, float] = eqx.field(static=True)
    angular_velocity: float = eqx.field(static=True)
    muscle_torque: jax.Array
    force: jax.Array


def physical_limits(params: ReflexParams) -> PhysicalLimits:
    """The :class:`PhysicalLimits` of a parameter set or batch (traceable).

    Examples
    --------
    >>> limits = physical_limits(default_params("elbow"))
    >>> [round(x / DEG) for x in limits.angle], round(float(limits.muscle_torque), 1)
    ([0, 220], 337.7)
    """
    forces = stack([params.agonist.max_isometric_force, params.antagonist.max_isometric_force])
    arms = stack([params.agonist_geometry.moment_arm, params.antagonist_geometry.moment_arm])
    return PhysicalLimits(angle=limb_mod.plausible_range(params.joint),
                          angular_velocity=limb_mod.MAX_ANGULAR_VELOCITY,
                          muscle_torque=MAX_MUSCLE_TORQUE * jnp.sum(arms * forces, axis=0),
                          force=MAX_FORCE * forces)


def _spindle_inputs(params: ReflexParams, muscles: MuscleParams, emg) -> dict:
    """What a spindle variant may read besides its fibre length (:class:`SpindleModel`)."""
    return {"gamma_dynamic": params.descending.gamma_dynamic, "gamma_static": params.descending.gamma_static,
            "optimal_fibre_length": muscles.optimal_fibre_length, "emg": emg}


REST_PASSES = 3
"""Fixed-point passes of :func:`initial_state` (tone, then tone plus the resting feedback drive)."""


def tonic_fibre_force(active_fibre_force, activation, tone, muscles: MuscleParams):
    """Each muscle's tonic force along its tendon (N, (2,)): the share ``tone / activation`` of its
    active fibre force that its resting tone drives (:func:`tone_torque`)."""
    tonic = jnp.minimum(tone / jnp.maximum(activation, 1e-12), 1.0)
    return active_fibre_force * tonic * jnp.cos(muscles.pennation_at_optimal)


def short_range_shares(tonic_force, geometry: MuscleGeometry):
    """Each muscle's short-range bond force per unit of the bonds' joint torque (N per N m, (2,)).

    The bonds of each muscle carry its share of the tonic force, so a joint torque ``T_SRS`` of
    bonds strained together is ``T_SRS = -sum_s s r_s dF_s`` with ``dF_s = -s F_tone,s T_SRS /
    T_tone`` (``s`` = +1 agonist, -1 antagonist; ``T_tone = sum r F_tone``, :func:`tone_torque`): a
    flexion (+q) loads the stretched agonist's bonds and unloads the shortened antagonist's. The
    bonds' force is fibre force, carried by the tendon: force feedback and tendon organs see it (De
    Groote et al. 2018 PLOS ONE 13:e0205763, where force feedback reads the short-range force)."""
    sign = _per_muscle(jnp.array([-1.0, 1.0]), tonic_force)
    return sign * tonic_force / jnp.maximum(tone_torque(tonic_force, geometry), 1e-12)


def tone_torque(tonic_force, geometry: MuscleGeometry):
    """The tonic joint torque that short-range stiffness scales with (N m, >= 0): each muscle's tonic
    force along its tendon (:func:`tonic_fibre_force`) times its moment arm, summed over both muscles.

    Short-range stiffness grows with the attached cross-bridges, hence with active force (Cui et al.
    2008); De Groote et al. 2018 scaled it with the muscles' tone, and so does the model: the bonds of
    a muscle held still at its tone. A reflex burst's cross-bridges cycle while the joint moves and
    are not counted (with them a spastic leg locked at its release angle). The limb's baseline torque,
    a constant moment without cross-bridges in the model, does not count either
    (:func:`myoreflex.physiology.limb.short_range_step`)."""
    return jnp.sum(geometry.moment_arm * tonic_force, axis=0)


def initial_state(params: ReflexParams, angle, dt: float, short_range_bound=1.0) -> LoopState:
    """The loop at rest at ``angle``: muscles, receptors and feedback in equilibrium, buffers filled.

    ``short_range_bound``: the fraction of the muscles' short-range bonds attached at the start (1
    after the limb was held still, the usual start; 0 right after it was moved).

    The resting excitation is the tone plus the feedback's resting drive (a pool just below its
    threshold still gives the softplus tail of its curve): a first pass at the tone alone finds that
    drive, further passes (:data:`REST_PASSES` in all) put the muscles and receptors at the activation
    it gives (the power-law spindle's Ia also reads the EMG, hence more than two). With the tone alone
    the activation crept towards the drive at the start of every run (2e-7 of the excitation for a
    stroke preset, and with the power-law spindle's infinite slope at rest up to 8e-4).
    """
    angle = jnp.broadcast_to(jnp.asarray(angle, dtype=float), _batch_shape(params))
    muscles, geometry = _muscles(params)
    lmt = musculotendon_lengths(angle, muscles, geometry)
    tone = params.motoneuron.tone
    n_buffer = buffer_length(dt)

    def at_rest(activation):
        fibre_length = jax.vmap(muscle_equilibrium)(lmt, activation, muscles)
        muscle_state = MuscleState(activation=activation, fibre_length=fibre_length)
        # One zero-time step gives the consistent outputs (force, normalised length) at rest.
        _, out = jax.vmap(muscle_step, in_axes=(0, 0, 0, 0, None))(muscle_state, activation, lmt, muscles, dt)
        force_norm = out.tendon_force / muscles.max_isometric_force
        active_force = out.active_fibre_force * jnp.cos(muscles.pennation_at_optimal) / muscles.max_isometric_force
        spindle_state, ia, ii = params.spindle.rest(out.fibre_length_norm,
                                                    **_spindle_inputs(params, muscles, activation))
        gto_state = jax.vmap(tendon_organ_equilibrium, in_axes=(0, None))(active_force, params.tendon_organ)
        ib = tendon_organ_rate_static(active_force, params.tendon_organ)
        feedback = params.feedback_rest(ia, ii, ib, force_norm, n_buffer)
        return LoopState(
            angle=angle,
            angular_velocity=jnp.zeros_like(angle),
            muscle=muscle_state,
            spindle=spindle_state,
            tendon_organ=gto_state,
            feedback=feedback,
            previous_force=force_norm,
            previous_stiffness=out.stiffness,
            short_range=limb_mod.short_range_rest(
                angle, tone_torque(tonic_fibre_force(out.active_fibre_force, out.activation, tone, muscles), geometry),
                short_range_bound, params.limb),
        )

    state = at_rest(stack([tone, tone]))
    for _ in range(REST_PASSES - 1):
        state = at_rest(jnp.clip(tone + params.feedback_drive(state.feedback, 0, dt), 0.0, 1.0))
    return state


def _fill(values, n: int):
    """A ring buffer of ``n`` rows, each holding ``values`` (one column per signal)."""
    return jnp.broadcast_to(values, (n,) + values.shape)


def _push(history, values, head):
    """Write ``values`` into row ``head`` of the ring buffer (the newest sample)."""
    return jax.lax.dynamic_update_index_in_dim(history, values, head, axis=0)


def _read(history, head, delay, dt):
    """Linear interpolation of every column ``delay`` seconds before the newest row ``head``.

    ``delay`` has the batch shape (one delay per batch member, the trailing axis of ``history``).
    """
    n = history.shape[0]
    position = delay / dt
    back = jnp.clip(jnp.floor(position).astype(jnp.int32), 0, n - 2)
    fraction = position - back

    def row(index):  # row ``index`` of each batch member: (n, signals, *batch) -> (signals, *batch)
        index = jnp.broadcast_to(index % n, history.shape[2:])
        return jnp.take_along_axis(history, index[None, None], axis=0)[0]

    return (1.0 - fraction) * row(head - back) + fraction * row(head - back - 1)


def _batch_shape(params: ReflexParams) -> tuple[int, ...]:
    """``()`` for one parameter set, ``(batch,)`` for a batch (every leaf of shape (batch,))."""
    return jnp.shape(params.limb.inertia)


def _per_muscle(value, like):
    """A protocol's per-muscle input (2,) shaped to broadcast against ``like`` ((2,) or (2, batch))."""
    return jnp.reshape(value, jnp.shape(value) + (1,) * (jnp.ndim(like) - jnp.ndim(value)))


def step(params: ReflexParams, state: LoopState, drive, head, dt: float, *, prescribed: bool,
         gravity_scale: float):
    """Advance the loop by ``dt``.

    ``drive`` is ``(angle, angular_velocity, angular_acceleration)`` of the prescribed motion at the
    end of the step (ignored when ``prescribed`` is False: the joint then swings freely), optionally
    followed by the protocol's ``command`` (feedforward excitation of both muscles, 1, added to the
    loop's excitation: excitation = tone + command + reflex, as in Falisse et al. 2018 PLOS ONE
    13:e0208811), ``synaptic_input`` (pps at both pools) and ``external_torque`` (N m on the joint,
    the limb's ``tau_external``) over the step (:class:`myoreflex.simulation.Drive`).
    ``head`` is the step count modulo the history length (the row this step writes in the ring
    buffers); it is shared by a whole batch, so a batched step writes one slice, not a scatter.
    Returns the new state and an :class:`Observation`.

    A batch runs through the same code with the batch as the *last* axis of every array (parameter
    leaves (batch,), per-muscle state (2, batch), ring buffers (n, 6, batch)): NumPy broadcasting
    carries it, so XLA's loops run over contiguous batch members and vectorise (a ``vmap`` over the
    batch puts it first, and the per-muscle axis of 2 then becomes the innermost, scalar loop).
    """
    muscles, geometry = _muscles(params)
    lp = params.limb

    # 1. Neural drive reaching the muscles now (the feedback variant's: delayed pool drive, or filtered force).
    reflex = params.feedback_drive(state.feedback, head, dt)
    command, synaptic_input, external = drive[3:6] if len(drive) > 3 else (None, None, None)
    if command is not None:
        reflex = reflex + _per_muscle(command, reflex)
    excitation = jnp.clip(params.motoneuron.tone + reflex, 0.0, 1.0)

    # 2. Mechanics: joint motion, then muscles at the new musculotendon lengths.
    if prescribed:
        angle, angular_velocity, angular_acceleration = (
            jnp.broadcast_to(d, state.angle.shape) for d in drive[:3])
    else:
        # Semi-implicit (symplectic) Euler with the muscle torque of the last step. That is stable
        # while the muscles' joint stiffness K = sum r^2 k stays below 4 I / dt^2; stiffer (a tendon
        # stretched far past its slack length) the part of K above I / dt^2 is taken implicitly:
        # over the step the torque is tau(q) - K_i dt w+, so w+ = (w + dt a) / (1 + dt^2 K_i / I).
        # Physiological swings stay far below (the presets' pendulums reach K = 16-27 N m/rad, the
        # knee's I / dt^2 is about 7000 N m/rad at 8 ms), so they run the plain explicit update.
        torque_now = muscle_torque(state.previous_force * muscles.max_isometric_force, geometry) + state.short_range.torque
        if external is not None:
            torque_now = torque_now + external
        acceleration = limb_mod.angular_acceleration(
            state.angle, state.angular_velocity, torque_now, lp, gravity_scale
        )
        joint_stiffness = jnp.sum(geometry.moment_arm**2 * state.previous_stiffness, axis=0) + state.short_range.stiffness
        implicit = jnp.maximum(joint_stiffness * (dt * dt) / lp.inertia - 1.0, 0.0)
        angular_velocity = (state.angular_velocity + dt * acceleration) / (1.0 + implicit)
        angle = state.angle + dt * angular_velocity
        angular_acceleration = (angular_velocity - state.angular_velocity) / dt
    lmt = musculotendon_lengths(angle, muscles, geometry)
    muscle_state, out = jax.vmap(muscle_step, in_axes=(0, 0, 0, 0, None))(state.muscle, excitation, lmt, muscles, dt)
    force = out.tendon_force
    force_norm = force / muscles.max_isometric_force
    tonic_force = tonic_fibre_force(out.active_fibre_force, out.activation, params.motoneuron.tone, muscles)
    short_range = limb_mod.short_range_step(
        state.short_range, angle, angular_velocity, tone_torque(tonic_force, geometry), lp, dt)
    torque_muscles = muscle_torque(force, geometry) + short_range.torque
    # The bonds' force, in each muscle's tendon, now and one step before (at the current shares).
    shares_norm = short_range_shares(tonic_force, geometry) / muscles.max_isometric_force
    bonds_norm = shares_norm * short_range.torque
    bonds_before = shares_norm * state.short_range.torque

    # 3. Receptors.
    spindle_state, ia, ii = params.spindle.step(
        state.spindle, out.fibre_length_norm, out.fibre_velocity, dt, **_spindle_inputs(params, muscles, excitation)
    )
    # Tendon organs sit in series with the muscle fibres and signal actively generated force; they
    # are nearly silent in passive stretch (Houk & Henneman 1967 J Neurophysiol 30:466), so they
    # see the active fibre force along the tendon rather than the total tendon force, in maximal
    # isometric forces of each muscle (the tendon organ's force scale is a fraction of F_max), plus
    # the short-range bonds' force, which the tonic fibres' cross-bridges carry.
    active_force = out.active_fibre_force * jnp.cos(muscles.pennation_at_optimal) / muscles.max_isometric_force \
        + bonds_norm
    gto_state, ib = jax.vmap(tendon_organ_step, in_axes=(0, 0, None, None))(
        state.tendon_organ, active_force, params.tendon_organ, dt
    )

    # 4. Spinal cord: the feedback variant (delayed afferents, circuit and pool; or force feedback).
    feedback = params.feedback_step(state.feedback, ia, ii, ib, force_norm + bonds_norm,
                                    state.previous_force + bonds_before, head, dt,
                                    synaptic_input)

    # 5. Torque: what the motor applies (prescribed) or the net muscle torque (free swing).
    if prescribed:
        passive = limb_mod.passive_torque(angle, angular_velocity, lp)
        gravity = limb_mod.gravity_torque(angle, lp, gravity_scale)
        applied = gravity + passive + torque_muscles
        torque = lp.inertia * angular_acceleration - (applied if external is None else applied + external)
    else:
        torque = torque_muscles

    new_state = LoopState(angle, angular_velocity, muscle_state, spindle_state, gto_state, feedback, force_norm,
                          out.stiffness, short_range)
    observation = Observation(angle, angular_velocity, torque, excitation, muscle_state.activation, force, ia, ii, ib,
                              out.fibre_length_norm)
    return new_state, observation
