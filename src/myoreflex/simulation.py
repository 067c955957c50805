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
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from myoreflex import model, runtime
from myoreflex.errors import ParameterError, ProtocolError, SimulationFailed, Status, describe
from myoreflex.params import batch_size, validate
from myoreflex.trial import Channel, Trial

DEFAULT_DT = 1e-3
"""Default step (s) of a protocol that does not choose its own (``Protocol.default_dt``)."""

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
DEFAULT_RECORD = ("angle", "angular_velocity", "torque", "emg", "force", "ia")


@dataclasses.dataclass(frozen=True)
class Drive:
    """What a protocol imposes: initial angle, duration, gravity, and optionally prescribed kinematics.

    ``kinematics`` is None for a free swing, or a function ``t -> (q, q', q'')`` evaluated on the
    step grid (NumPy, outside jit). ``gravity_scale`` is 1 for a vertical swing and 0 for a
    movement in the horizontal plane.
    """

    initial_angle: float
    duration: float
    gravity_scale: float = 1.0
    kinematics: object = None


@dataclasses.dataclass(frozen=True)
class SimulationBatch:
    """Results of a batched run: ``channels[name]`` has shape (batch, time[, muscle])."""

    time: np.ndarray
    channels: dict
    status: np.ndarray
    muscle_names: tuple
    metadata: dict = dataclasses.field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.status)

    def trial(self, index: int, metadata: dict | None = None) -> Trial:
        """The ``index``-th member as a :class:`Trial` (the run's metadata, updated by ``metadata``)."""
        return _to_trial(self.time, {k: v[index] for k, v in self.channels.items()}, self.muscle_names,
                         Status(int(self.status[index])), {**self.metadata, **(metadata or {})})


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


def _scan_blocks(one, carry, drives, n_records: int, record_every: int):
    """``jax.lax.scan`` of ``one(carry, drive) -> (carry, outputs)`` over every step, in blocks.

    ``drives`` is a pytree of arrays with the step axis first; it is padded past its end with its
    last step to whole blocks of at most :data:`BLOCK_STEPS` steps.
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
        return carry, jax.tree_util.tree_map(lambda o: o[record_every - 1::record_every], outputs)

    carry, outputs = jax.lax.scan(block, carry, jax.tree_util.tree_map(blocks, drives))
    outputs = jax.tree_util.tree_map(
        lambda o: o.reshape((n_blocks * records_per_block,) + o.shape[2:])[:n_records], outputs)
    return carry, outputs


def run_loop(params, initial_angle, kinematics, dt: float, observe, *, prescribed: bool,
             gravity_scale: float = 1.0, record_every: int = 1, batched: bool = False):
    """The reflex loop from rest at ``initial_angle`` through ``kinematics``, traceable (jit/vmap/grad).

    ``kinematics`` is ``(q, q', q'')``, three arrays over the steps ``dt, 2 dt, ...`` (the
    prescribed motion; zeros for a free swing); ``observe(Observation)`` picks what is recorded at
    every ``record_every``-th step (time first). ``batched``: every leaf of ``params`` has shape
    (batch,); the step carries the batch as the last axis of every state array (see
    :func:`myoreflex.model.step`) and the outputs come back as (time, batch, ...). The ring-buffer
    head is one scalar for the whole batch.
    """
    n_buffer = model.buffer_length(dt)

    def one(carry, drive):
        state, count = carry
        state, obs = model.step(params, state, drive, count % n_buffer, dt, prescribed=prescribed,
                                gravity_scale=gravity_scale)
        return (state, count + 1), observe(obs)

    # A batch broadcasts (2, batch) per-muscle arrays against (batch,) parameters on purpose.
    with jax.numpy_rank_promotion("allow" if batched else jax.config.jax_numpy_rank_promotion):
        carry = (model.initial_state(params, initial_angle, dt), jnp.asarray(1, dtype=jnp.int32))
        n_records = kinematics[0].shape[0] // record_every
        _, outputs = _scan_blocks(one, carry, tuple(kinematics), n_records, record_every)
    if batched:  # (time, ..., batch) -> (time, batch, ...)
        outputs = jax.tree_util.tree_map(lambda o: jnp.moveaxis(o, -1, 1), outputs)
    return outputs


@functools.lru_cache(maxsize=64)
def _compiled(record_every: int, dt: float, prescribed: bool, gravity_scale: float, record: tuple[str, ...],
              batched: bool):
    def observe(obs):
        return tuple(getattr(obs, CHANNELS[name][0]) for name in record)

    def run(params, initial_angle, kinematics):
        outputs = run_loop(params, initial_angle, kinematics, dt, observe, prescribed=prescribed,
                           gravity_scale=gravity_scale, record_every=record_every, batched=batched)

        def member_finite(o):  # per batch member (axis 1 of a time-first output)
            axes = tuple(a for a in range(o.ndim) if a != 1) if batched else None
            return jnp.all(jnp.isfinite(o), axis=axes)

        finite = jnp.all(jnp.stack([member_finite(o) for o in outputs]), axis=0)
        status = jnp.where(finite, Status.OK.value, Status.NONFINITE.value)
        if batched:  # scan stacks time first: (time, batch, ...) -> (batch, time, ...)
            outputs = tuple(jnp.moveaxis(o, 0, 1) for o in outputs)
        return outputs, status

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
    compilation serves them all. Returns the outputs (batch first) and statuses as NumPy arrays.
    """
    chunk = MEMBERS_PER_DEVICE * len(runtime.compute_devices())
    host = jax.tree_util.tree_map(np.asarray, params)  # sliced on the host: no dispatch per leaf
    if size <= chunk:
        outputs, status = run(shard_batch(host, size), *inputs)
        return [np.asarray(out)[:size] for out in outputs], np.asarray(status)[:size]
    pieces, statuses = [], []
    for start in range(0, size, chunk):
        count = min(chunk, size - start)
        part = pad_members(jax.tree_util.tree_map(lambda x: x[start:start + count], host), chunk)
        outputs, status = run(shard_batch(part, chunk), *inputs)
        pieces.append([np.asarray(out)[:count] for out in outputs])
        statuses.append(np.asarray(status)[:count])
    return [np.concatenate(columns) for columns in zip(*pieces)], np.concatenate(statuses)


@dataclasses.dataclass(frozen=True)
class _Prepared:
    """What one call needs, whatever the batch: the compiled function, its inputs, the time grid."""

    run: object
    inputs: tuple
    time: np.ndarray
    record: tuple[str, ...]
    dt: float
    metadata: dict


def _prepare(params, protocol, *, dt, record, record_every: int, metadata, batched: bool) -> _Prepared:
    """Check the protocol against ``params`` and build the compiled call for its drive."""
    for attribute in ("name", "drive", "metadata", "default_dt", "record"):
        if not hasattr(protocol, attribute):
            raise ProtocolError(describe("protocol", "a protocol object (see myoreflex.protocols.PROTOCOLS), "
                                         f"with `{attribute}`", type(protocol).__name__))
    check = getattr(protocol, "check_joint", None)
    if check is not None:
        check(params.joint)
    record = _check_record(protocol.record if record is None else record)
    dt = protocol.default_dt if dt is None else dt
    if not dt > 0:
        raise ProtocolError(describe("dt", "a step > 0 s", dt))
    if isinstance(record_every, bool) or not isinstance(record_every, (int, np.integer)) or record_every < 1:
        raise ProtocolError(describe("record_every", "an integer >= 1", repr(record_every)))
    drive = protocol.drive(params.joint)
    n_steps = int(round(drive.duration / dt))
    n_records = max(1, n_steps // record_every)
    n_steps = n_records * record_every
    time = (np.arange(n_records) + 1) * record_every * dt
    if drive.kinematics is None:
        zeros = np.zeros(n_steps)
        kinematics = (zeros, zeros, zeros)
    else:
        kinematics = tuple(np.asarray(k, dtype=float) for k in drive.kinematics(np.arange(1, n_steps + 1) * dt))
    run = _compiled(int(record_every), float(dt), drive.kinematics is not None, float(drive.gravity_scale),
                    record, batched)
    inputs = (np.asarray(drive.initial_angle, dtype=float), kinematics)
    meta = {"source": "myoreflex simulation", "protocol": protocol.name, "joint": params.joint, "dt_s": float(dt),
            "rate_hz": 1.0 / (record_every * dt), **protocol.metadata(), **(metadata or {})}
    return _Prepared(run, inputs, time, record, float(dt), meta)


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
    throw : raise :class:`SimulationFailed` when the run produced NaN or inf; else the Trial's
        ``status`` says so.
    metadata : added to the Trial's metadata (the protocol's settings are there already).

    Returns
    -------
    Trial, time from ``dt`` to the protocol's duration, channels in SI units.

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
    outputs, status = call.run(params, *call.inputs)
    arrays = {name: np.asarray(out) for name, out in zip(call.record, outputs)}
    status = Status(int(status))
    if throw and status is not Status.OK:
        raise SimulationFailed(
            describe("simulation", "finite values", "NaN or inf", "reduce dt or check parameters against their bounds")
        )
    return _to_trial(call.time, arrays, params.muscle_names, status, call.metadata)


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
    :func:`simulate`. A member that produced NaN or inf is marked in ``status``, never raised: one
    bad subject does not sink the others.

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
                    batched=True)
    outputs, status = _run_in_chunks(call.run, batch, size, call.inputs)
    return SimulationBatch(time=call.time, channels=dict(zip(call.record, outputs)), status=status,
                           muscle_names=batch.muscle_names, metadata=call.metadata)


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
