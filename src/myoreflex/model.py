"""The reflex loop assembled from its parts: parameters, state layout and one time step.

Signal flow in one step of length ``dt`` (spindle-driven mode)::

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

The alternative ``reflex_mode="force"`` replaces spindle → circuit → pool by the force and
force-rate feedback of Falisse et al. 2018 (its first-order filter stands in for the delay).

Each joint has two muscles: the *agonist* (the tested muscle, stretched by +q) and its
*antagonist*. Neural parameters (spindle, tendon organ, circuit, pool, descending) are shared by
both; mechanics and geometry are per muscle. Musculotendon length and joint torque::

    l_MT = l_Ts + l_opt cos(alpha_0) + s r (q - q_opt),   tau = -s r F_T,

with ``s = +1`` for the agonist and ``-1`` for the antagonist (constant moment arm ``r``).
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp

from myoreflex.arrays import stack
from myoreflex.errors import ParameterError, describe
from myoreflex.params import choice, param
from myoreflex.physiology import limb as limb_mod
from myoreflex.physiology.descending import DescendingParams
from myoreflex.physiology.limb import LimbParams
from myoreflex.physiology.motoneuron import (
    MotoneuronParams,
    MotoneuronState,
    motoneuron_equilibrium,
    motoneuron_step,
)
from myoreflex.physiology.muscle import MuscleParams, MuscleState, muscle_equilibrium, muscle_step
from myoreflex.physiology.spinal_circuit import (
    CircuitParams,
    ForceFeedbackParams,
    ForceFeedbackState,
    force_feedback_step,
    net_input,
)
from myoreflex.physiology.spindle import (
    ProchazkaParams,
    SpindleParams,
    SpindleState,
    prochazka_ia,
    spindle_afferents,
    spindle_equilibrium,
    spindle_step,
)
from myoreflex.physiology.tendon_organ import (
    TendonOrganParams,
    TendonOrganState,
    tendon_organ_equilibrium,
    tendon_organ_rate_static,
    tendon_organ_step,
)
from myoreflex.units import DEG

JOINTS = ("knee", "elbow", "ankle", "wrist")
REFLEX_MODES = ("spindle", "force")
SPINDLE_MODELS = ("mileusnic", "prochazka")
MAX_DELAY = 0.060  # s; the history buffers hold this much (static), delays above are refused

DELP = "Delp et al. 1990 IEEE TBME 37:757 (OpenSim gait model), lumped and rounded"
HOLZBAUR = "Holzbaur et al. 2005 Ann Biomed Eng 33:829 (OpenSim upper-limb model), lumped and rounded"
LATENCY = "ANCHORS 3.8: reflex latencies (wrist M1 25 ms V-abs; others unverified); Falisse 2018: 30 ms"


class MuscleGeometry(eqx.Module):
    """Constant moment arm and the joint angle at which the fibres sit at optimal length."""

    moment_arm: float = param(0.04, unit="m", bounds=(0.002, 0.1), source=DELP)
    optimal_angle: float = param(1.2, unit="rad", bounds=(-3.2, 3.4), source="calibrated: fibres at l_opt near rest")


class DelayParams(eqx.Module):
    """Afferent (receptor to spinal cord) and efferent (cord to muscle) conduction delays."""

    afferent: float = param(0.010, unit="s", bounds=(0.0, MAX_DELAY / 2), source=LATENCY + "; half the loop")
    efferent: float = param(0.010, unit="s", bounds=(0.0, MAX_DELAY / 2), source=LATENCY + "; half the loop")


class ReflexParams(eqx.Module):
    """Every parameter of one subject's joint and its reflex loop (a single pytree)."""

    limb: LimbParams
    agonist: MuscleParams
    antagonist: MuscleParams
    agonist_geometry: MuscleGeometry
    antagonist_geometry: MuscleGeometry
    spindle: SpindleParams = SpindleParams()
    prochazka: ProchazkaParams = ProchazkaParams()
    tendon_organ: TendonOrganParams = TendonOrganParams()
    circuit: CircuitParams = CircuitParams()
    motoneuron: MotoneuronParams = MotoneuronParams()
    descending: DescendingParams = DescendingParams()
    force_feedback: ForceFeedbackParams = ForceFeedbackParams()
    delays: DelayParams = DelayParams()
    joint: str = choice("knee", options=JOINTS, doc="which joint")
    muscle_names: tuple[str, str] = choice(("quadriceps", "hamstrings"), doc="agonist, antagonist")
    reflex_mode: str = choice("spindle", options=REFLEX_MODES, doc="spindle-driven loop or Falisse force feedback")
    spindle_model: str = choice("mileusnic", options=SPINDLE_MODELS, doc="Mileusnic 2006 or Prochazka power law")


def _muscle(force, l_opt, l_ts, pennation_deg, **passive):
    return MuscleParams(
        max_isometric_force=force,
        optimal_fibre_length=l_opt,
        tendon_slack_length=l_ts,
        pennation_at_optimal=pennation_deg * DEG,
        **passive,
    )


# Per-joint muscles (agonist = tested, stretched by +q), moment arms, fibre-optimal angles and
# reflex-loop delays. Forces, optimal fibre and tendon slack lengths and pennation: lumped groups
# of Delp et al. 1990 (leg) and Holzbaur et al. 2005 (arm), rounded. Optimal angles: calibrated so
# the fibres sit near optimal length around the joint's rest position (see tests/test_model.py).
_JOINT_TABLE = {
    "knee": dict(
        names=("quadriceps", "hamstrings"),
        agonist=(4400.0, 0.13, 0.14, 5.0),  # vasti: VI + VL + VM (l_opt: effective, see below)
        antagonist=(2075.0, 0.10, 0.33, 10.0),  # biceps femoris LH + semimembranosus + semitendinosus
        arms=(0.040, 0.030),
        optimal=(85 * DEG, 30 * DEG),
        loop_delay=0.020,
        limb=dict(neutral_angle=80 * DEG),
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
        reflex_threshold=270.0,
        loop_delay=0.030,
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
        reflex_threshold=420.0,
        loop_delay=0.035,
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
        reflex_threshold=310.0,
        loop_delay=0.025,
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


def default_params(
    joint: str = "knee",
    *,
    body_mass: float = 75.0,
    height: float = 1.75,
    reflex_mode: str = "spindle",
    spindle_model: str = "mileusnic",
) -> ReflexParams:
    """A healthy adult's parameters for one joint (defaults: 75 kg, 1.75 m).

    Segment mass, centre of mass and inertia come from Winter 2009 for the given body mass and
    height; muscles from Delp et al. 1990 / Holzbaur et al. 2005; loop delays from ANCHORS 3.8.
    """
    if joint not in _JOINT_TABLE:
        raise ParameterError(describe("joint", f"one of {', '.join(JOINTS)}", repr(joint)))
    for name, value, (low, high), unit in (("body_mass", body_mass, limb_mod.BODY_MASS_BOUNDS_KG, "kg"),
                                           ("height", height, limb_mod.HEIGHT_BOUNDS_M, "m")):
        if not low <= value <= high:
            raise ParameterError(describe(name, f"a value in [{low:g}, {high:g}] {unit}", value))
    if reflex_mode not in REFLEX_MODES:
        raise ParameterError(describe("reflex_mode", f"one of {', '.join(REFLEX_MODES)}", repr(reflex_mode)))
    if spindle_model not in SPINDLE_MODELS:
        raise ParameterError(describe("spindle_model", f"one of {', '.join(SPINDLE_MODELS)}", repr(spindle_model)))
    spec = _JOINT_TABLE[joint]
    segment = limb_mod.segment_from_anthropometry(joint, body_mass, height)
    limb = LimbParams(**{**segment, **spec["limb"]})
    half = spec["loop_delay"] / 2
    return ReflexParams(
        limb=limb,
        agonist=_muscle(*spec["agonist"], **spec.get("passive", {})),
        antagonist=_muscle(*spec["antagonist"], **spec.get("passive", {})),
        agonist_geometry=MuscleGeometry(moment_arm=spec["arms"][0], optimal_angle=spec["optimal"][0]),
        antagonist_geometry=MuscleGeometry(moment_arm=spec["arms"][1], optimal_angle=spec["optimal"][1]),
        delays=DelayParams(afferent=half, efferent=half),
        motoneuron=MotoneuronParams(
            gain=spec.get("reflex_gain", MotoneuronParams().gain),
            threshold=spec.get("reflex_threshold", MotoneuronParams().threshold),
        ),
        joint=joint,
        muscle_names=spec["names"],
        reflex_mode=reflex_mode,
        spindle_model=spindle_model,
    )


# ---------------------------------------------------------------------------------------------
# State and one step


class LoopState(eqx.Module):
    """Everything that evolves. Per-muscle fields have a leading axis of 2 (agonist, antagonist)."""

    angle: jax.Array
    angular_velocity: jax.Array
    muscle: MuscleState
    spindle: SpindleState
    tendon_organ: TendonOrganState
    motoneuron: MotoneuronState
    force_feedback: ForceFeedbackState
    previous_force: jax.Array  # (2,) normalised tendon force at the last step, for dF/dt
    previous_stiffness: jax.Array  # (2,) musculotendon stiffness at the last step (N/m), for the limb
    afferent_history: jax.Array  # ring buffer (n_buffer, 6): Ia, II, Ib of both muscles
    efferent_history: jax.Array  # ring buffer (n_buffer, 2): pool drive of both muscles


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


def _afferents(spindle_state, fibre_length_norm, fibre_velocity, muscles, params: ReflexParams, dt, excitation):
    """Spindle Ia and II for both muscles (pps)."""
    if params.spindle_model == "mileusnic":
        step = jax.vmap(spindle_step, in_axes=(0, 0, 0, None, None, None, None))
        return step(
            spindle_state,
            fibre_length_norm,
            fibre_velocity,
            params.descending.gamma_dynamic,
            params.descending.gamma_static,
            params.spindle,
            dt,
        )
    stretch = (fibre_length_norm - 1.0) * muscles.optimal_fibre_length
    velocity = fibre_velocity * muscles.optimal_fibre_length
    ia = prochazka_ia(velocity, stretch, excitation, params.prochazka)
    return spindle_state, ia, jnp.zeros_like(ia)


def initial_state(params: ReflexParams, angle, dt: float) -> LoopState:
    """The loop at rest at ``angle``: muscles, receptors and pool in equilibrium, buffers filled."""
    angle = jnp.broadcast_to(jnp.asarray(angle, dtype=float), _batch_shape(params))
    muscles, geometry = _muscles(params)
    lmt = musculotendon_lengths(angle, muscles, geometry)
    tone = params.motoneuron.tone
    activation = stack([tone, tone])
    fibre_length = jax.vmap(muscle_equilibrium)(lmt, activation, muscles)
    muscle_state = MuscleState(activation=activation, fibre_length=fibre_length)
    # One zero-time step gives the consistent outputs (force, normalised length) at rest.
    _, out = jax.vmap(muscle_step, in_axes=(0, 0, 0, 0, None))(muscle_state, activation, lmt, muscles, dt)
    force = out.tendon_force
    active_force = out.active_fibre_force * jnp.cos(muscles.pennation_at_optimal)
    fln = out.fibre_length_norm
    spindle_state = jax.vmap(spindle_equilibrium, in_axes=(0, None, None, None))(
        fln, params.descending.gamma_dynamic, params.descending.gamma_static, params.spindle
    )
    if params.spindle_model == "mileusnic":
        ia, ii = jax.vmap(spindle_afferents, in_axes=(0, 0, None))(spindle_state, fln, params.spindle)
    else:
        _, ia, ii = _afferents(spindle_state, fln, jnp.zeros_like(fln), muscles, params, dt, activation)
    gto_state = jax.vmap(tendon_organ_equilibrium, in_axes=(0, None))(active_force, params.tendon_organ)
    ib = tendon_organ_rate_static(active_force, params.tendon_organ)
    u = net_input(
        ia, ii, ib, ia[::-1], params.descending.facilitation, params.descending.inhibition, params.circuit
    )
    mn_state = jax.vmap(motoneuron_equilibrium, in_axes=(0, None))(u, params.motoneuron)
    n = buffer_length(dt)
    afferent = jnp.concatenate([ia, ii, ib])
    return LoopState(
        angle=angle,
        angular_velocity=jnp.zeros_like(angle),
        muscle=muscle_state,
        spindle=spindle_state,
        tendon_organ=gto_state,
        motoneuron=mn_state,
        force_feedback=ForceFeedbackState(jnp.zeros_like(force), jnp.zeros_like(force)),
        previous_force=force / muscles.max_isometric_force,
        previous_stiffness=out.stiffness,
        afferent_history=_fill(afferent, n),
        efferent_history=_fill(mn_state.drive, n),
    )


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


def step(params: ReflexParams, state: LoopState, drive, head, dt: float, *, prescribed: bool,
         gravity_scale: float):
    """Advance the loop by ``dt``.

    ``drive`` is ``(angle, angular_velocity, angular_acceleration)`` of the prescribed motion at the
    end of the step (ignored when ``prescribed`` is False: the joint then swings freely).
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

    # 1. Neural drive reaching the muscles now (efferent delay).
    previous_head = (head - 1) % state.afferent_history.shape[0]

    if params.reflex_mode == "force":
        reflex = state.force_feedback.force + state.force_feedback.force_rate
    else:
        # Held over the step, the drive acts at the step's midpoint t + dt/2, so it is read
        # ``delay - dt/2`` before the newest row (the pool drive at t): it then reaches the muscle
        # exactly ``delay`` after it left the pool. Reading ``delay`` back instead adds dt/2 to the
        # loop delay, a first-order timing error that would set the pendulum's step.
        lead = jnp.maximum(params.delays.efferent - 0.5 * dt, 0.0)
        reflex = _read(state.efferent_history, previous_head, lead, dt)
    excitation = jnp.clip(params.motoneuron.tone + reflex, 0.0, 1.0)

    # 2. Mechanics: joint motion, then muscles at the new musculotendon lengths.
    if prescribed:
        angle, angular_velocity, angular_acceleration = (
            jnp.broadcast_to(d, state.angle.shape) for d in drive)
    else:
        # Semi-implicit (symplectic) Euler with the muscle torque of the last step. That is stable
        # while the muscles' joint stiffness K = sum r^2 k stays below 4 I / dt^2; stiffer (a tendon
        # stretched far past its slack length) the part of K above I / dt^2 is taken implicitly:
        # over the step the torque is tau(q) - K_i dt w+, so w+ = (w + dt a) / (1 + dt^2 K_i / I).
        # Physiological swings stay far below (the presets' pendulums reach K = 16-27 N m/rad, the
        # knee's I / dt^2 is about 7000 N m/rad at 8 ms), so they run the plain explicit update.
        torque_now = muscle_torque(state.previous_force * muscles.max_isometric_force, geometry)
        acceleration = limb_mod.angular_acceleration(
            state.angle, state.angular_velocity, torque_now, lp, gravity_scale
        )
        joint_stiffness = jnp.sum(geometry.moment_arm**2 * state.previous_stiffness, axis=0)
        implicit = jnp.maximum(joint_stiffness * (dt * dt) / lp.inertia - 1.0, 0.0)
        angular_velocity = (state.angular_velocity + dt * acceleration) / (1.0 + implicit)
        angle = state.angle + dt * angular_velocity
        angular_acceleration = (angular_velocity - state.angular_velocity) / dt
    lmt = musculotendon_lengths(angle, muscles, geometry)
    muscle_state, out = jax.vmap(muscle_step, in_axes=(0, 0, 0, 0, None))(state.muscle, excitation, lmt, muscles, dt)
    force = out.tendon_force
    force_norm = force / muscles.max_isometric_force
    torque_muscles = muscle_torque(force, geometry)

    # 3. Receptors.
    spindle_state, ia, ii = _afferents(
        state.spindle, out.fibre_length_norm, out.fibre_velocity, muscles, params, dt, excitation
    )
    # Tendon organs sit in series with the muscle fibres and signal actively generated force; they
    # are nearly silent in passive stretch (Houk & Henneman 1967 J Neurophysiol 30:466), so they
    # see the active fibre force along the tendon rather than the total tendon force.
    active_force = out.active_fibre_force * jnp.cos(muscles.pennation_at_optimal)
    gto_state, ib = jax.vmap(tendon_organ_step, in_axes=(0, 0, None, None))(
        state.tendon_organ, active_force, params.tendon_organ, dt
    )

    # 4. Spinal cord: delayed afferents, circuit and pool; or the force feedback.
    afferent_history = _push(state.afferent_history, jnp.concatenate([ia, ii, ib]), head)
    mn_state, efferent_history, ff_state = state.motoneuron, state.efferent_history, state.force_feedback
    if params.reflex_mode == "spindle":
        delayed = _read(afferent_history, head, params.delays.afferent, dt)
        d_ia, d_ii, d_ib = delayed[0:2], delayed[2:4], delayed[4:6]
        u = net_input(
            d_ia, d_ii, d_ib, d_ia[::-1], params.descending.facilitation, params.descending.inhibition,
            params.circuit,
        )
        mn_state, _ = jax.vmap(motoneuron_step, in_axes=(0, 0, None, None))(state.motoneuron, u, params.motoneuron, dt)
        efferent_history = _push(state.efferent_history, mn_state.drive, head)
    else:
        force_rate = (force_norm - state.previous_force) / dt
        ff_state, _ = jax.vmap(force_feedback_step, in_axes=(0, 0, 0, None, None))(
            state.force_feedback, force_norm, force_rate, params.force_feedback, dt
        )

    # 5. Torque: what the motor applies (prescribed) or the net muscle torque (free swing).
    if prescribed:
        passive = limb_mod.passive_torque(angle, angular_velocity, lp)
        gravity = limb_mod.gravity_torque(angle, lp, gravity_scale)
        torque = lp.inertia * angular_acceleration - (gravity + passive + torque_muscles)
    else:
        torque = torque_muscles

    new_state = LoopState(
        angle=angle,
        angular_velocity=angular_velocity,
        muscle=muscle_state,
        spindle=spindle_state,
        tendon_organ=gto_state,
        motoneuron=mn_state,
        force_feedback=ff_state,
        previous_force=force_norm,
        previous_stiffness=out.stiffness,
        afferent_history=afferent_history,
        efferent_history=efferent_history,
    )
    observation = Observation(
        angle=angle,
        angular_velocity=angular_velocity,
        torque=torque,
        excitation=excitation,
        activation=muscle_state.activation,
        force=force,
        ia=ia,
        ii=ii,
        ib=ib,
        fibre_length_norm=out.fibre_length_norm,
    )
    return new_state, observation
