"""The integrator: fixed-step ``jax.lax.scan`` over :func:`myoreflex.model.step`, one run or a batch.

Two verbs, one per input shape, each with one return type:

- :func:`simulate` runs a protocol on one parameter set and returns a :class:`Trial`;
- :func:`simulate_batch` runs it on a batch (the same parameter tree with a leading axis, from
  :func:`myoreflex.params.stack_params`) and returns a :class:`SimulationBatch`.

A protocol is any object with the contract of :class:`myoreflex.protocols.Protocol`: a ``name``,
``drive(joint) -> Drive`` (what it imposes), ``metadata()``, a default step ``default_dt`` and
channels ``record``. The compiled function is cached per (protocol shape, dt, recording choice), so
a cohort with different parameters reuses one compilation. Every compiled call runs in float64
(:mod:`myoreflex.runtime`), whatever the caller's JAX settings.

Every run is checked, inside the compiled call and for each batch member, against the physical
limits of its joint and muscles (:func:`myoreflex.model.physical_limits`): the joint angle stays
within the joint's range of motion plus a margin, the angular velocity below the fastest human
joint rotation, the muscles' net torque below :data:`~myoreflex.model.MAX_MUSCLE_TORQUE` times
their maximal isometric torque, and each muscle's force below
:data:`~myoreflex.physiology.muscle.MAX_FORCE` times its F_max. A run that passes one is
:attr:`Status.DIVERGED` (finite but outside what the model describes), one with NaN or inf
:attr:`Status.NONFINITE`; :data:`CHECKS` names what is tracked. The step keeps the running
maximum of each and counts the steps before the first outside a limit, so the check costs a few
operations per step and no pass over the recording. The motor torque of a prescribed motion (``torque`` in a
stretch) adds the limb's inertia, gravity and passive tissue to the muscles' torque; the motion
itself is checked before the run (:func:`check_kinematics`).

Resources are bounded before anything is allocated: a run has at most :data:`MAX_STEPS` steps and a
call records at most :data:`MAX_OUTPUT_BYTES`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from myoreflex import model, runtime
from myoreflex.arrays import stack
from myoreflex.errors import ParameterError, ProtocolError, SimulationFailed, Status, describe
from myoreflex.params import batch_size, validate
from myoreflex.physiology import limb as limb_mod
from myoreflex.trial import DEFAULT_DT, DEFAULT_RECORD, Channel, Trial  # noqa: F401 (DEFAULT_RECORD re-exported)
from myoreflex.units import DEG

#: Recordable channels: name in the Trial -> (Observation field, unit, per-muscle?)
CHANNELS = {
    "angle": ("angle", "rad", False),
    "angular_velocity": ("angular_velocity", "rad/s", False),
    "torque": ("torque", "N m", False),
    "emg": ("excitation", "1", True),
    "activation": ("activation", "1", True),
    "force": ("force", "N", True),
    "ia": ("ia", "pps", True),
    "ii": ("ii", "pps", True),
    "ib": ("ib", "pps", True),
    "fibre_length": ("fibre_length_norm", "1", True),
}
UNROLL = 1

MAX_STEPS = 1_000_000
"""Most steps one run may take: 1,000 simulated s at the default 1 ms step (a clinical test lasts
seconds to a minute; the slowest stretch the protocols allow, 1 deg/s over a joint's range, about
100 s). A single run of a million steps takes a few seconds and records 8 bytes per step and
channel; more is refused before anything is allocated (:func:`simulate`)."""
MAX_OUTPUT_BYTES = 2 * 1024**3
"""Most bytes the recorded channels of one call may take (members x records x channels x 8 bytes).
While it runs a call holds them about three times (the compiled loop's time-first outputs, their
batch-first copy, the host's), so 2 GiB keeps a call within about 6 GiB. Record fewer channels,
every k-th step (``record_every``) or a shorter protocol, or split the batch."""

#: What every run is checked for, in the order of the check arrays: (name, unit shown, SI-to-shown
#: factor, the limit in words). ``angle_high`` / ``angle_low`` are the largest and (negated)
#: smallest angle; ``muscle_torque`` is ``|r F_antagonist - r F_agonist|``; ``force_agonist`` and
#: ``force_antagonist`` the tendon forces. The limits: :func:`myoreflex.model.physical_limits`.
CHECKS = (
    ("angle_high", "deg", 1 / DEG, f"the joint's range of motion + {limb_mod.RANGE_MARGIN / DEG:g} deg"),
    ("angle_low", "deg", 1 / DEG, f"the joint's range of motion - {limb_mod.RANGE_MARGIN / DEG:g} deg"),
    ("angular_velocity", "deg/s", 1 / DEG, "the fastest human joint rotation"),
    ("muscle_torque", "N m", 1.0, f"{model.MAX_MUSCLE_TORQUE:g} x the muscles' maximal isometric torque"),
    ("force_agonist", "N", 1.0, f"{model.MAX_FORCE:g} x its maximal isometric force"),
    ("force_antagonist", "N", 1.0, f"{model.MAX_FORCE:g} x its maximal isometric force"),
)


@dataclasses.dataclass(frozen=True)
class Drive:
    """What a protocol imposes: initial angle, duration, gravity, and optionally prescribed kinematics.

    ``kinematics`` is None for a free swing, or a function ``t -> (q, q', q'')`` evaluated on the
    step grid (NumPy, outside jit). ``command`` and ``synaptic_input``, None or functions
    ``t -> (steps, 2)`` on the same grid (agonist, antagonist), are what the subject or the
    experimenter adds: ``command`` a feedforward excitation (1) added to the loop's excitation (a
    voluntary movement's descending command), ``synaptic_input`` a synaptic input (pps) added to
    the motor neuron pools' net input (a brief stimulus, an electrical train; the spinal loop only,
    :class:`myoreflex.model.SpinalLoop`). ``external_torque``, None or ``t -> (steps,)``, is a
    moment (N m, positive towards larger angles) applied to the joint by someone else: an
    examiner's hand on a free limb (it adds to the limb's equation, ``tau_external`` of
    :mod:`myoreflex.physiology.limb`; in a prescribed motion the motor's torque excludes it). ``gravity_scale`` is 1 for a vertical swing and 0 for a
    movement in the horizontal plane. ``short_range_bound`` is the fraction of the muscles'
    short-range bonds attached at the start: 1 after the limb was held still (the usual start), 0
    right after it was moved (thixotropy, :func:`myoreflex.physiology.limb.short_range_step`).
    """

    initial_angle: float
    duration: float
    gravity_scale: float = 1.0
    kinematics: object = None
    short_range_bound: float = 1.0
    command: object = None
    synaptic_input: object = None
    external_torque: object = None


def _input_rows(drive: Drive, name: str, times: np.ndarray, protocol_name: str, width: int = 2):
    """``drive.<name>(times)`` as a finite (steps, width) array, (steps,) for width 1 (None when the
    drive has no such input)."""
    function = getattr(drive, name)
    if function is None:
        return None
    shape = (len(times), width) if width > 1 else (len(times),)
    values = np.broadcast_to(np.asarray(function(times), dtype=float), shape)
    if not np.all(np.isfinite(values)):
        raise ProtocolError(describe(f"{protocol_name} {name}", "finite values", "NaN or inf"))
    return np.ascontiguousarray(values)


@dataclasses.dataclass(frozen=True)
class Checks:
    """What the physical-limit check saw: ``peak`` and ``limit``, one row per member and one column per
    :data:`CHECKS` entry, the largest value over the run (SI; the angle's low end negated) and its
    limit; ``outside_from_s`` and ``outside_by_s``, one per member, the times between which the run
    first passed a limit (s, within one block of steps of :func:`_scan_blocks`; NaN if it never did).
    """

    peak: np.ndarray
    limit: np.ndarray
    outside_from_s: np.ndarray
    outside_by_s: np.ndarray


def failure(status: Status, checks: Checks | None, index, muscle_names=("agonist", "antagonist")) -> str:
    """The one-line message for a run's ``status`` ('' when OK): what passed its limit, how far, and
    from when. It is the message of :class:`SimulationFailed`, a failed Trial's ``failure`` metadata
    and what a cohort row can report."""
    if status is Status.OK:
        return ""
    if status is Status.NONFINITE or checks is None:
        return describe("simulation", "finite values", "NaN or inf", "reduce dt or check parameters against their bounds")
    peak, limit = checks.peak[index], checks.limit[index]
    start, end = checks.outside_from_s[index], checks.outside_by_s[index]
    parts = []
    for k, (name, unit, factor, why) in enumerate(CHECKS):
        if not peak[k] > limit[k]:
            continue
        if name.startswith("angle"):
            sign, side = (-1.0, "below") if name == "angle_low" else (1.0, "above")
            text = f"angle {sign * peak[k] * factor:.4g} {unit}, {side} {sign * limit[k] * factor:.4g} {unit}"
        else:
            label = f"force_{muscle_names[k - 4]}" if name.startswith("force") else name
            text = f"{label} {peak[k] * factor:.4g} {unit}, above {limit[k] * factor:.4g} {unit}"
        parts.append(f"{text} ({why})")
    return describe("simulation", "values inside the physical limits of the joint and its muscles",
                    f"{'; '.join(parts)}; first outside them between t = {start:.4g} and {end:.4g} s",
                    "the model left its valid range: check the parameters against the joint (myoreflex params)")


@dataclasses.dataclass(frozen=True)
class SimulationBatch:
    """Results of a batched run: ``channels[name]`` has shape (batch, time[, muscle]).

    ``status`` holds each member's :class:`Status`; :meth:`failure` says what went wrong with one
    (``checks``: what the physical-limit check saw).
    """

    time: np.ndarray
    channels: dict
    status: np.ndarray
    muscle_names: tuple
    metadata: dict = dataclasses.field(default_factory=dict)
    checks: Checks | None = None

    def __len__(self) -> int:
        return len(self.status)

    def failure(self, index: int) -> str:
        """The ``index``-th member's failure in one line ('' when its status is OK)."""
        return failure(Status(int(self.status[index])), self.checks, index, self.muscle_names)

    def trial(self, index: int, metadata: dict | None = None) -> Trial:
        """The ``index``-th member as a :class:`Trial` (the run's metadata, updated by ``metadata``; a
        failed member's message is its ``failure`` metadata)."""
        status = Status(int(self.status[index]))
        extra = {"failure": self.failure(index)} if status is not Status.OK else {}
        return _to_trial(self.time, {k: v[index] for k, v in self.channels.items()}, self.muscle_names,
                         status, {**self.metadata, **extra, **(metadata or {})})


def _to_trial(time, arrays, muscle_names, status, metadata) -> Trial:
    channels = {}
    for name, values in arrays.items():
        _, unit, per_muscle = CHANNELS[name]
        if per_muscle:
            for i, muscle in enumerate(muscle_names):
                channels[f"{name}_{muscle}"] = Channel(np.asarray(values[:, i]), unit)
        else:
            channels[name] = Channel(np.asarray(values), unit)
    return Trial(time=time, channels=channels, metadata=metadata, status=status)


def _check_record(record: Sequence[str]) -> tuple[str, ...]:
    record = tuple(record)
    unknown = [name for name in record if name not in CHANNELS]
    if unknown:
        raise ProtocolError(describe("record", f"channels among {sorted(CHANNELS)}", unknown))
    return record


BLOCK_STEPS = 31
"""Steps per inner scan; the outer scan writes whole blocks of records. Chosen when XLA's CPU
runtime ran a loop body as a plain kernel sequence only within 512 bytes of buffers (31 steps x 2
muscles x 8 bytes); :func:`myoreflex.runtime.configure` lifts that threshold
(:data:`myoreflex.runtime.SMALL_LOOP_OPTION`), and 31 or 500 steps per block then time the same
(benchmarks/RESULTS.md, 2026-11-28 run C)."""


def _block_steps(record_every: int) -> int:
    """Steps per block of :func:`_scan_blocks`: whole records, at most :data:`BLOCK_STEPS` (or one record)."""
    return max(1, BLOCK_STEPS // record_every) * record_every


def _scan_blocks(one, carry, drives, n_records: int, record_every: int, after_block=None):
    """``jax.lax.scan`` of ``one(carry, drive) -> (carry, outputs)`` over every step, in blocks.

    ``drives`` is a pytree of arrays with the step axis first; it is padded past its end with its
    last step to whole blocks of at most :data:`BLOCK_STEPS` steps. ``after_block(carry,
    block_steps) -> carry``, if given, runs after each block.
    Returns the final carry and the outputs of every ``record_every``-th step, ``n_records`` of
    them, time first.
    """
    records_per_block = max(1, BLOCK_STEPS // record_every)
    n_blocks = -(-n_records // records_per_block)
    block_steps = records_per_block * record_every

    def blocks(x):
        x = jnp.concatenate([x, jnp.repeat(x[-1:], n_blocks * block_steps - x.shape[0], axis=0)])
        return x.reshape((n_blocks, block_steps) + x.shape[1:])

    def block(carry, block_drives):
        carry, outputs = jax.lax.scan(one, carry, block_drives, unroll=UNROLL)
        if after_block is not None:
            carry = after_block(carry, block_steps)
        return carry, jax.tree_util.tree_map(lambda o: o[record_every - 1::record_every], outputs)

    carry, outputs = jax.lax.scan(block, carry, jax.tree_util.tree_map(blocks, drives))
    outputs = jax.tree_util.tree_map(
        lambda o: o.reshape((n_blocks * records_per_block,) + o.shape[2:])[:n_records], outputs)
    return carry, outputs


def _limit_array(limits: model.PhysicalLimits, shape) -> jax.Array:
    """The limits in the order of :data:`CHECKS`, shape (len(CHECKS), *batch)."""
    low, high = limits.angle
    return stack([jnp.broadcast_to(jnp.asarray(x, dtype=float), shape) for x in (
        high, -low, limits.angular_velocity, limits.muscle_torque, limits.force[0], limits.force[1])])


def _checked(obs: model.Observation, arms) -> jax.Array:
    """This step's values in the order of :data:`CHECKS`, shape (len(CHECKS), *batch)."""
    torque = jnp.abs(arms[1] * obs.force[1] - arms[0] * obs.force[0])
    return stack([obs.angle, -obs.angle, jnp.abs(obs.angular_velocity), torque, obs.force[0], obs.force[1]])


def run_loop(params, initial_angle, kinematics, dt: float, observe, *, prescribed: bool,
             gravity_scale: float = 1.0, record_every: int = 1, batched: bool = False, check: bool = False,
             short_range_bound=1.0):
    """The reflex loop from rest at ``initial_angle`` through ``kinematics``, traceable (jit/vmap/grad).

    ``kinematics`` is ``(q, q', q'')``, three arrays over the steps ``dt, 2 dt, ...`` (the
    prescribed motion; zeros for a free swing), optionally followed by the per-step ``command`` and
    ``synaptic_input`` arrays, (steps, 2) each, and ``external_torque`` (steps,) (:class:`Drive`);
    ``observe(Observation)`` picks what is recorded at
    every ``record_every``-th step (time first). ``batched``: every leaf of ``params`` has shape
    (batch,); the step carries the batch as the last axis of every state array (see
    :func:`myoreflex.model.step`) and the outputs come back as (time, batch, ...). The ring-buffer
    head is one scalar for the whole batch.

    ``check``: also follow every step against the physical limits
    (:func:`myoreflex.model.physical_limits`) and return ``(outputs, (peak, calm, limit, block))``:
    ``peak`` and ``limit`` of shape (len(:data:`CHECKS`), *batch), the largest value of each
    checked quantity (NaN once it was NaN) and its limit; ``calm`` of the batch shape, the steps of
    the blocks (of ``block`` steps, :func:`_scan_blocks`) that ended with every maximum inside its
    limit. The maxima only grow, so the first step outside lies in the block after them: counted
    per block rather than per step, which keeps the check to a maximum per quantity and step.

    ``short_range_bound``: the short-range bonds attached at the start (:class:`Drive`).
    """
    n_buffer = model.buffer_length(dt)
    n_steps = kinematics[0].shape[0]
    if check:
        arms = stack([params.agonist_geometry.moment_arm, params.antagonist_geometry.moment_arm])
        limit = _limit_array(model.physical_limits(params), jnp.shape(params.limb.inertia))

    def one(carry, drive):
        state, count, seen = carry
        state, obs = model.step(params, state, drive, count % n_buffer, dt, prescribed=prescribed,
                                gravity_scale=gravity_scale)
        if check:  # running maxima; the steps that pad the last block do not count
            peak, calm = seen
            seen = (jnp.where(count <= n_steps, jnp.maximum(peak, _checked(obs, arms)), peak), calm)
        return (state, count + 1, seen), observe(obs)

    def calm_blocks(carry, block_steps: int):
        state, count, (peak, calm) = carry
        return state, count, (peak, calm + block_steps * jnp.all(peak <= limit, axis=0).astype(jnp.int32))

    # A batch broadcasts (2, batch) per-muscle arrays against (batch,) parameters on purpose.
    with jax.numpy_rank_promotion("allow" if batched else jax.config.jax_numpy_rank_promotion):
        seen = (jnp.full(limit.shape, -jnp.inf), jnp.zeros(limit.shape[1:], dtype=jnp.int32)) if check else ()
        carry = (model.initial_state(params, initial_angle, dt, short_range_bound), jnp.asarray(1, dtype=jnp.int32),
                 seen)
        n_records = n_steps // record_every
        (_, _, seen), outputs = _scan_blocks(one, carry, tuple(kinematics), n_records, record_every,
                                             calm_blocks if check else None)
    if batched:  # (time, ..., batch) -> (time, batch, ...)
        outputs = jax.tree_util.tree_map(lambda o: jnp.moveaxis(o, -1, 1), outputs)
    return (outputs, (*seen, limit, _block_steps(record_every))) if check else outputs


@functools.lru_cache(maxsize=64)
def _compiled(record_every: int, dt: float, prescribed: bool, gravity_scale: float, record: tuple[str, ...],
              batched: bool):
    def observe(obs):
        return tuple(getattr(obs, CHANNELS[name][0]) for name in record)

    def run(params, initial_angle, short_range_bound, kinematics):
        outputs, (peak, calm, limit, _) = run_loop(
            params, initial_angle, kinematics, dt, observe, prescribed=prescribed, gravity_scale=gravity_scale,
            record_every=record_every, batched=batched, check=True, short_range_bound=short_range_bound)

        def member_finite(o):  # per batch member (axis 1 of a time-first output)
            axes = tuple(a for a in range(o.ndim) if a != 1) if batched else None
            return jnp.all(jnp.isfinite(o), axis=axes)

        finite = jnp.all(jnp.stack([member_finite(o) for o in outputs] + [jnp.all(jnp.isfinite(peak), axis=0)]),
                         axis=0)
        inside = jnp.all(peak <= limit, axis=0)
        status = jnp.where(finite, jnp.where(inside, Status.OK.value, Status.DIVERGED.value), Status.NONFINITE.value)
        checks = jnp.concatenate([peak, limit, calm[None].astype(peak.dtype)])  # one output: (2 K + 1, *batch)
        if batched:  # scan stacks time first: (time, batch, ...) -> (batch, time, ...); checks batch first
            outputs = tuple(jnp.moveaxis(o, 0, 1) for o in outputs)
            checks = checks.T
        return outputs, status, checks

    return runtime.jit(run)


def pad_members(batch, count: int):
    """Every leaf of ``batch`` (on the host) extended along axis 0 to ``count`` members by repeating
    its last one: padded batches keep one compiled shape; callers slice the results back."""
    return jax.tree_util.tree_map(
        lambda x: np.concatenate([x, np.repeat(x[-1:], count - len(x), axis=0)]), batch)


@runtime.float64
def shard_batch(batch, size: int):
    """Split a batch across the compute devices (one per core): pad to a multiple and shard axis 0.

    XLA runs one CPU device on one thread; with one device per core
    (:func:`myoreflex.runtime.configure`) a sharded batch runs on every core. Results are sliced
    back to ``size``.
    """
    devices = runtime.compute_devices()
    if len(devices) < 2 or size < len(devices):
        return batch
    padded = -(-size // len(devices)) * len(devices)
    if padded != size:
        batch = pad_members(batch, padded)
    mesh = jax.sharding.Mesh(np.array(devices), ("batch",))
    return jax.device_put(batch, jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("batch")))


MEMBERS_PER_DEVICE = 1024
"""Batch members per compute device in one compiled call; larger batches run chunk by chunk. About
a thousand members keep a step's intermediate arrays in the core's cache: 10,000 pendulums ran 1.4x
faster as five chunks of 2,000 than as one call on 2 cores (benchmarks/RESULTS.md, run H)."""


def _run_in_chunks(run, params, size: int, inputs):
    """``run`` a batch of ``size`` members in chunks of :data:`MEMBERS_PER_DEVICE` per device.

    Every chunk has the same shape (the last is padded with copies of its last member), so one
    compilation serves them all. Returns the outputs (batch first), statuses and checks (each batch
    first) as NumPy arrays.
    """
    chunk = MEMBERS_PER_DEVICE * len(runtime.compute_devices())
    host = jax.tree_util.tree_map(np.asarray, params)  # sliced on the host: no dispatch per leaf
    if size <= chunk:
        outputs, status, checks = run(shard_batch(host, size), *inputs)
        return [np.asarray(out)[:size] for out in outputs], np.asarray(status)[:size], np.asarray(checks)[:size]
    pieces, statuses, seen = [], [], []
    for start in range(0, size, chunk):
        count = min(chunk, size - start)
        part = pad_members(jax.tree_util.tree_map(lambda x: x[start:start + count], host), chunk)
        outputs, status, checks = run(shard_batch(part, chunk), *inputs)
        pieces.append([np.asarray(out)[:count] for out in outputs])
        statuses.append(np.asarray(status)[:count])
        seen.append(np.asarray(checks)[:count])
    return [np.concatenate(columns) for columns in zip(*pieces)], np.concatenate(statuses), np.concatenate(seen)


def _checks(seen, dt: float, record_every: int, n_steps: int) -> Checks:
    """:class:`Checks` from the compiled call's checks, (members, 2 K + 1): peaks, limits, calm steps."""
    seen = np.asarray(seen)
    k = len(CHECKS)
    peak, limit, calm = seen[:, :k], seen[:, k:2 * k], seen[:, 2 * k].astype(np.int64)
    outside = np.any(peak > limit, axis=-1)
    until = np.minimum(calm + _block_steps(record_every), n_steps)
    return Checks(peak=peak, limit=limit, outside_from_s=np.where(outside, (calm + 1) * dt, np.nan),
                  outside_by_s=np.where(outside, until * dt, np.nan))


@dataclasses.dataclass(frozen=True)
class _Prepared:
    """What one call needs, whatever the batch: the compiled function, its inputs, the time grid."""

    run: object
    inputs: tuple
    time: np.ndarray
    record: tuple[str, ...]
    dt: float
    metadata: dict
    record_every: int = 1
    n_steps: int = 0


def check_kinematics(name: str, joint: str, initial_angle, kinematics=None, dt: float = DEFAULT_DT) -> None:
    """Raise :class:`ProtocolError` where what a protocol imposes leaves the physical limits.

    ``initial_angle`` (rad) and the prescribed ``(q, q', q'')`` (arrays over the steps, every ``dt``
    s, or None for a free swing) must be finite, the angles inside the joint's range of motion plus
    its margin (:func:`myoreflex.physiology.limb.plausible_range`), the speed at most
    :data:`~myoreflex.physiology.limb.MAX_ANGULAR_VELOCITY` and the acceleration at most
    :data:`~myoreflex.physiology.limb.MAX_ANGULAR_ACCELERATION` (which bounds the motor torque's
    inertial part). ``name`` names the protocol in the message.

    Examples
    --------
    >>> check_kinematics("motorized_stretch", "elbow", 250 * DEG)
    Traceback (most recent call last):
    ...
    myoreflex.errors.ProtocolError: motorized_stretch at the elbow: expected angles in [0, 220] deg ...
    """
    low, high = limb_mod.plausible_range(joint)
    where = f"{name} at the {joint}"
    shown = f"angles in [{low / DEG:.4g}, {high / DEG:.4g}] deg (the joint's range of motion and a margin)"
    hint = "choose the protocol's angles inside the joint's range (myoreflex.physiology.limb.RANGE_OF_MOTION)"
    start = float(initial_angle)
    if not (math.isfinite(start) and low <= start <= high):
        raise ProtocolError(describe(where, shown, f"a start at {start / DEG:.4g} deg", hint))
    if kinematics is None:
        return
    angle, velocity, acceleration = kinematics
    if not all(np.all(np.isfinite(k)) for k in kinematics):
        raise ProtocolError(describe(where, "finite prescribed kinematics", "NaN or inf"))
    if angle.min() < low or angle.max() > high:
        raise ProtocolError(describe(where, shown, f"{angle.min() / DEG:.4g} to {angle.max() / DEG:.4g} deg", hint))
    speed = np.abs(velocity).max()
    if speed > limb_mod.MAX_ANGULAR_VELOCITY:
        raise ProtocolError(describe(where, f"a speed of at most {limb_mod.MAX_ANGULAR_VELOCITY / DEG:.4g} deg/s "
                                     "(the fastest human joint rotation)", f"{speed / DEG:.4g} deg/s",
                                     "lower the protocol's velocity, amplitude or frequency"))
    # The acceleration the model sees: the prescribed one, and the change of the prescribed speed over
    # a step from rest (a corner shorter than the step is a jump that the samples of q'' miss).
    jumps = np.abs(np.diff(velocity, prepend=0.0)).max() / dt
    peak = max(np.abs(acceleration).max(), jumps)
    if peak > limb_mod.MAX_ANGULAR_ACCELERATION:
        raise ProtocolError(describe(where, f"an acceleration of at most {limb_mod.MAX_ANGULAR_ACCELERATION / DEG:.4g} "
                                     "deg/s^2 (myoreflex.physiology.limb.MAX_ANGULAR_ACCELERATION)",
                                     f"{peak / DEG:.4g} deg/s^2",
                                     "lengthen the ramp's corners or the movement, or lower its velocity or frequency"))


def check_resources(name: str, duration, dt: float, record_every: int, record: Sequence[str],
                    members: int = 1) -> int:
    """The number of steps of a run, or :class:`ProtocolError` when it would take more than
    :data:`MAX_STEPS` steps or record more than :data:`MAX_OUTPUT_BYTES` (checked before anything is
    allocated). ``name`` names the protocol in the message.

    Examples
    --------
    >>> check_resources("pendulum", 10.0, 0.008, 1, ("angle",))
    1250
    >>> check_resources("motorized_stretch", 1e7, 1e-3, 1, ("angle",))
    Traceback (most recent call last):
    ...
    myoreflex.errors.ProtocolError: motorized_stretch run: expected at most 1,000,000 steps ...
    """
    duration = float(duration)
    if not (math.isfinite(duration) and duration > 0):
        raise ProtocolError(describe(f"{name} duration", "a finite duration > 0 s", duration))
    steps = int(round(duration / dt))
    if steps > MAX_STEPS:
        raise ProtocolError(describe(f"{name} run", f"at most {MAX_STEPS:,} steps (myoreflex.simulation.MAX_STEPS)",
                                     f"{steps:,} steps ({duration:.6g} s at dt = {dt:g} s)",
                                     "shorten the protocol (a faster or shorter movement, a shorter hold or rest) "
                                     "or use a larger dt"))
    records = max(1, steps // record_every)
    width = sum(2 if CHANNELS[channel][2] else 1 for channel in record)
    size = members * records * width * 8
    if size > MAX_OUTPUT_BYTES:
        raise ProtocolError(describe(
            f"{name} recording", f"at most {MAX_OUTPUT_BYTES / 2**30:g} GiB of recorded channels "
            "(myoreflex.simulation.MAX_OUTPUT_BYTES)",
            f"{size / 2**30:.3g} GiB ({members:,} members x {records:,} records x {width} values x 8 bytes)",
            "record fewer channels, every k-th step (record_every), a shorter protocol, or split the batch"))
    return steps


def _prepare(params, protocol, *, dt, record, record_every: int, metadata, batched: bool, members: int = 1) -> _Prepared:
    """Check the protocol against ``params`` and its resources, and build the compiled call for its drive."""
    for attribute in ("name", "drive", "metadata", "default_dt", "record"):
        if not hasattr(protocol, attribute):
            raise ProtocolError(describe("protocol", "a protocol object (see myoreflex.protocols.PROTOCOLS), "
                                         f"with `{attribute}`", type(protocol).__name__))
    check = getattr(protocol, "check_joint", None)
    if check is not None:
        check(params.joint)
    record = _check_record(protocol.record if record is None else record)
    dt = protocol.default_dt if dt is None else dt
    if isinstance(dt, bool) or not isinstance(dt, (int, float, np.integer, np.floating)) or not (
            math.isfinite(dt) and dt > 0):
        raise ProtocolError(describe("dt", "a finite step > 0 s", repr(dt)))
    if isinstance(record_every, bool) or not isinstance(record_every, (int, np.integer)) or record_every < 1:
        raise ProtocolError(describe("record_every", "an integer >= 1", repr(record_every)))
    drive = protocol.drive(params.joint)
    n_steps = check_resources(protocol.name, drive.duration, dt, int(record_every), record, members)
    n_records = max(1, n_steps // record_every)
    n_steps = n_records * record_every
    time = (np.arange(n_records) + 1) * record_every * dt
    if drive.kinematics is None:
        zeros = np.zeros(n_steps)
        kinematics = (zeros, zeros, zeros)
        check_kinematics(protocol.name, params.joint, drive.initial_angle)
    else:
        kinematics = tuple(np.asarray(k, dtype=float) for k in drive.kinematics(np.arange(1, n_steps + 1) * dt))
        check_kinematics(protocol.name, params.joint, drive.initial_angle, kinematics, dt)
    steps_time = np.arange(1, n_steps + 1) * dt
    command = _input_rows(drive, "command", steps_time, protocol.name)
    synaptic = _input_rows(drive, "synaptic_input", steps_time, protocol.name)
    if synaptic is not None and not isinstance(params, model.SpinalLoop):
        raise ProtocolError(describe(f"{protocol.name} synaptic input", "the spinal loop (feedback='spindle')",
                                     type(params).__name__, "this loop has no motor neuron pool to stimulate"))
    external = _input_rows(drive, "external_torque", steps_time, protocol.name, width=1)
    if command is not None or synaptic is not None or external is not None:
        zeros = np.zeros((n_steps, 2))
        kinematics = (*kinematics, zeros if command is None else command, zeros if synaptic is None else synaptic,
                      np.zeros(n_steps) if external is None else external)
    run = _compiled(int(record_every), float(dt), drive.kinematics is not None, float(drive.gravity_scale),
                    record, batched)
    inputs = (np.asarray(drive.initial_angle, dtype=float), np.asarray(drive.short_range_bound, dtype=float), kinematics)
    meta = {"source": "myoreflex simulation", "protocol": protocol.name, "joint": params.joint, "dt_s": float(dt),
            "rate_hz": 1.0 / (record_every * dt), **protocol.metadata(), **(metadata or {})}
    return _Prepared(run, inputs, time, record, float(dt), meta, int(record_every), n_steps)


def simulate(
    params: model.ReflexParams,
    protocol,
    *,
    dt: float | None = None,
    record: Sequence[str] | None = None,
    record_every: int = 1,
    throw: bool = True,
    metadata: dict | None = None,
) -> Trial:
    """Simulate a virtual test on one subject's parameters and return the recording.

    Parameters
    ----------
    params : ReflexParams of one subject (:func:`myoreflex.model.default_params`, a condition, overrides).
    protocol : the test, e.g. ``PendulumTest()`` or ``MotorizedStretch(velocity=100 * DEG)``
        (:data:`myoreflex.protocols.PROTOCOLS`).
    dt : fixed step in s; None: the protocol's own (``protocol.default_dt``).
    record : channels to keep (see :data:`CHANNELS`; per-muscle ones become ``<name>_<muscle>``);
        None: the protocol's ``record``.
    record_every : keep every k-th step.
    throw : raise :class:`SimulationFailed` when the run produced NaN or inf
        (:attr:`Status.NONFINITE`) or passed a physical limit (:attr:`Status.DIVERGED`: the message
        names the limit, the value reached and when); else the Trial's ``status`` says so and its
        ``failure`` metadata gives the message.
    metadata : added to the Trial's metadata (the protocol's settings are there already).

    Returns
    -------
    Trial, time from ``dt`` to the protocol's duration, channels in SI units.

    Raises
    ------
    ProtocolError, before anything runs, when the protocol's motion leaves the joint's physical
    limits (:func:`check_kinematics`) or the run would take more than :data:`MAX_STEPS` steps or
    record more than :data:`MAX_OUTPUT_BYTES`.

    Examples
    --------
    >>> from myoreflex import PendulumTest, default_params, simulate
    >>> trial = simulate(default_params("knee"), PendulumTest(duration=2.0))
    >>> trial.metadata["protocol"], trial.unit("angle"), trial["angle"].dtype
    ('pendulum', 'rad', dtype('float64'))
    """
    if batch_size(params) is not None:
        raise ParameterError(describe("simulate params", "one parameter set", "a batch (leading axis)",
                                      "use simulate_batch for a batch"))
    validate(params)
    call = _prepare(params, protocol, dt=dt, record=record, record_every=record_every, metadata=metadata,
                    batched=False)
    outputs, status, seen = call.run(params, *call.inputs)
    arrays = {name: np.asarray(out) for name, out in zip(call.record, outputs)}
    status = Status(int(status))
    if status is Status.OK:
        return _to_trial(call.time, arrays, params.muscle_names, status, call.metadata)
    checks = _checks(np.asarray(seen)[None], call.dt, call.record_every, call.n_steps)
    message = failure(status, checks, 0, params.muscle_names)
    if throw:
        raise SimulationFailed(message)
    return _to_trial(call.time, arrays, params.muscle_names, status, {**call.metadata, "failure": message})


def simulate_batch(
    batch: model.ReflexParams,
    protocol,
    *,
    dt: float | None = None,
    record: Sequence[str] | None = None,
    record_every: int = 1,
    metadata: dict | None = None,
) -> SimulationBatch:
    """Simulate a virtual test on every member of a batch in one compiled call (split across cores).

    ``batch`` is a parameter tree with a leading axis on every traced leaf
    (:func:`myoreflex.params.stack_params`; a batch of one is a batch). Other arguments as
    :func:`simulate`. A member that produced NaN or inf, or passed a physical limit, is marked in
    ``status`` (:attr:`Status.NONFINITE`, :attr:`Status.DIVERGED`; ``result.failure(i)`` says
    what happened), never raised: one bad subject does not sink the others.

    Examples
    --------
    >>> from myoreflex import PendulumTest, apply_condition, default_params, simulate_batch, stack_params
    >>> knee = default_params("knee")
    >>> batch = stack_params([knee, apply_condition(knee, "stroke", 0.7)])
    >>> result = simulate_batch(batch, PendulumTest(duration=2.0), record=("angle",))
    >>> result.channels["angle"].shape, result.trial(1).metadata["protocol"]
    ((2, 250), 'pendulum')
    """
    size = batch_size(batch)
    if size is None:
        raise ParameterError(describe("simulate_batch params", "a batch (stack_params of parameter sets)",
                                      "one parameter set", "use simulate for one subject"))
    call = _prepare(batch, protocol, dt=dt, record=record, record_every=record_every, metadata=metadata,
                    batched=True, members=size)
    outputs, status, seen = _run_in_chunks(call.run, batch, size, call.inputs)
    return SimulationBatch(time=call.time, channels=dict(zip(call.record, outputs)), status=status,
                           muscle_names=batch.muscle_names, metadata=call.metadata, checks=_checks(seen, call.dt, call.record_every, call.n_steps))


@runtime.float64
def simulate_passive(limb, *, initial_angle: float, initial_velocity: float = 0.0, duration: float = 10.0,
                     dt: float = DEFAULT_DT, gravity_scale: float = 1.0) -> Trial:
    """The limb alone (no muscles, no reflex): ``I q'' = tau_g + tau_passive``, semi-implicit Euler.

    This is the passive pendulum model of De Groote et al. 2018 (their tutorial fits T_b and B
    with it). Returns a Trial with ``angle`` and ``angular_velocity`` starting at t = 0.
    """
    from myoreflex.physiology.limb import angular_acceleration

    validate(limb)
    n_steps = int(round(duration / dt))

    def one(state, _):
        angle, velocity = state
        velocity = velocity + dt * angular_acceleration(angle, velocity, 0.0, limb, gravity_scale)
        angle = angle + dt * velocity
        return (angle, velocity), (angle, velocity)

    start = (jnp.asarray(initial_angle, dtype=float), jnp.asarray(initial_velocity, dtype=float))
    _, (angle, velocity) = jax.lax.scan(one, start, None, length=n_steps)
    time = np.arange(n_steps + 1) * dt
    angle = np.concatenate([[initial_angle], np.asarray(angle)])
    velocity = np.concatenate([[initial_velocity], np.asarray(velocity)])
    return Trial(time, {"angle": Channel(angle, "rad"), "angular_velocity": Channel(velocity, "rad/s")},
                 {"source": "myoreflex passive limb simulation", "dt_s": dt})
