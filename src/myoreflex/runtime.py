"""Where myoreflex computes: float64, XLA's options and the CPU devices, set locally, never at import.

Importing myoreflex changes nothing in the caller's process: not ``XLA_FLAGS``, not JAX's
``jax_enable_x64``, not the number of CPU devices. Instead

- every compiled myoreflex function (:func:`jit`) is traced and run in float64 inside
  ``jax.enable_x64(True)``, a thread-local context, and the public entry points that build JAX
  arrays (:func:`float64`) do the same, so a user's float32 model in the same process stays float32;
- the XLA options that make the reflex loop fast go with each compilation where XLA accepts
  them (:data:`COMPILER_OPTIONS`);
- what only the start of JAX's backend can set (one CPU device per core, the loop option below)
  is :func:`configure`, which the command line and the benchmarks call and a user may call.

Speed without :func:`configure`: a single run takes about 1.75x longer (the loop option) and a
batch runs on one core (benchmarks/RESULTS.md). Results are the same to the last bit.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator

import jax

COMPILER_OPTIONS = {"xla_cpu_prefer_vector_width": 512}
"""XLA options passed with every compilation. On CPUs with 512-bit vector units XLA emits 256-bit
code by default; the batched loop is elementwise float64 arithmetic, and 512-bit code runs about
1.25x more pendulums per second with bit-identical results (benchmarks/RESULTS.md, run H). Other
CPUs ignore the preference."""

SMALL_LOOP_OPTION = "xla_cpu_small_while_loop_byte_threshold=1000000000"
"""XLA's CPU runtime runs a while loop's body as a plain sequence of kernels (no task scheduling per
kernel) only while the loop's buffers stay under a byte threshold (512 by default). The reflex loop
is hundreds of tiny kernels per step, so lifting the threshold makes one simulated step 2-3 times
cheaper (benchmarks/RESULTS.md, 2026-11-28 run C). It is a backend option (a map entry of XLA's
debug options), which XLA reads only from ``XLA_FLAGS`` when its backend starts and not per
compilation: :func:`configure` sets it."""

_configured: dict = {}


@contextlib.contextmanager
def float64_context() -> Iterator[None]:
    """JAX in float64 inside the block (thread-local; the caller's setting is restored after)."""
    with jax.enable_x64(True):
        yield


def float64(function: Callable) -> Callable:
    """Decorator: run ``function`` in :func:`float64_context` (for public entry points)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with jax.enable_x64(True):
            return function(*args, **kwargs)

    return wrapper


def jit(function: Callable | None = None, **jit_options) -> Callable:
    """``jax.jit`` with :data:`COMPILER_OPTIONS`, traced and run in float64 whoever calls it.

    Inputs should be NumPy arrays or Python numbers (a float32 JAX array made outside stays
    float32). Usable as ``@jit`` or ``@jit(static_argnames=...)``.
    """
    if function is None:
        return functools.partial(jit, **jit_options)
    compiled = jax.jit(function, compiler_options=COMPILER_OPTIONS, **jit_options)
    return float64(compiled)


def backend_started() -> bool:
    """Whether JAX has started its backends (after which :func:`configure` can change nothing)."""
    from jax._src import xla_bridge

    return bool(xla_bridge.backends_are_initialized())


def configure(*, cpu_devices: int | None = None, small_loops: bool = True) -> dict:
    """Start JAX's CPU backend the way myoreflex runs fastest; call it before anything runs in JAX.

    Parameters
    ----------
    cpu_devices : XLA CPU devices that simulate, one per core by default (``MYOREFLEX_CPU_DEVICES``
        overrides). XLA runs one CPU device on one thread, so a batch split across devices
        (:func:`myoreflex.simulation.shard_batch`) uses every core. One more device is asked for,
        the spare that hosts a sampler's loop while the cores simulate (:func:`sampler_device`).
    small_loops : pass :data:`SMALL_LOOP_OPTION` to XLA. ``XLA_FLAGS`` is extended for the moment
        the backend starts and then restored, so the environment is unchanged; a caller whose
        ``XLA_FLAGS`` already passes ``--xla_backend_extra_options`` keeps its own.

    Returns
    -------
    dict: ``compute_devices``, ``small_loops`` (whether the option was passed) and ``applied``
    (False when JAX's backend had already started: then nothing changes, and batches run on the
    devices JAX has).

    Both settings are process-wide, which is why myoreflex never makes them at import: the command
    line and the benchmarks call this; a notebook may. Calling it again returns the first result.
    """
    if _configured:
        return dict(_configured)
    if cpu_devices is None:
        cpu_devices = int(os.environ.get("MYOREFLEX_CPU_DEVICES", os.cpu_count() or 1))
    cpu_devices = max(1, int(cpu_devices))
    if backend_started():
        return {"compute_devices": len(jax.devices()), "small_loops": False, "applied": False}
    jax.config.update("jax_num_cpu_devices", cpu_devices + 1)
    original = os.environ.get("XLA_FLAGS")
    small = small_loops and "xla_backend_extra_options" not in (original or "")
    if small:
        os.environ["XLA_FLAGS"] = f"{original or ''} --xla_backend_extra_options={SMALL_LOOP_OPTION}".strip()
    try:
        jax.devices()  # starts the backend, which reads XLA_FLAGS now and never again
    finally:
        if original is None:
            os.environ.pop("XLA_FLAGS", None)
        else:
            os.environ["XLA_FLAGS"] = original
    _configured.update(compute_devices=cpu_devices, small_loops=small, applied=True)
    return dict(_configured)


def compute_devices() -> list:
    """The CPU devices that simulate: those :func:`configure` asked for, else every device JAX has."""
    devices = jax.devices()
    return devices[: _configured.get("compute_devices", len(devices))]


def sampler_device():
    """The spare CPU device that runs a sampler's loop (None without :func:`configure`), so that the
    model calls it makes from the host can use every core (:func:`myoreflex.fit.core.nuts`)."""
    devices = jax.devices()
    return devices[-1] if len(devices) > len(compute_devices()) else None
