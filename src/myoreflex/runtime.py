"""Where myoreflex computes: float64, XLA's options and the CPU devices, set locally, never at import.

Importing myoreflex changes nothing in the caller's process: not ``XLA_FLAGS``, not JAX's
``jax_enable_x64``, not the number of CPU devices. Instead

- every compiled myoreflex function (:func:`jit`) is traced and run in float64 inside
  ``jax.enable_x64(True)``, a thread-local context, and the public entry points that build JAX
  arrays (:func:`float64`) do the same, so a user's float32 model in the same process stays float32;
- the XLA options that make the reflex loop fast go with each compilation where XLA accepts
  them (:data:`COMPILER_OPTIONS`);
- what only the start of JAX's backend can set (one CPU device per core, the loop option below)
  is :func:`configure`, which the command line and the benchmarks call and a user may call;
- :func:`configure` also keeps compiled code between processes, so that a command compiles the model
  once, not at every call: XLA's executables (JAX's persistent compilation cache) and the traced
  programs of :func:`jit` (``jax.export``; tracing the reflex loop costs about as much again as
  loading its executable), both in :func:`cache_dir`. ``MYOREFLEX_CACHE_DIR`` moves the folder and
  ``MYOREFLEX_NO_CACHE=1`` turns both off.

Speed without :func:`configure`: a single run takes about 1.75x longer (the loop option) and a
batch runs on one core (benchmarks/RESULTS.md). Results are the same to the last bit.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

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
_cache: dict = {}  # "dir": the folder of kept traces (set by configure); "notice": called before a compile


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
    float32). Usable as ``@jit`` or ``@jit(static_argnames=...)``. After :func:`configure`, a
    function without static arguments called on concrete values keeps its traced program on disk
    (:func:`kept_trace`), so the next process neither traces nor compiles it again.
    """
    if function is None:
        return functools.partial(jit, **jit_options)
    compiled = jax.jit(function, compiler_options=COMPILER_OPTIONS, **jit_options)
    if jit_options:
        return float64(compiled)
    loaded: dict = {}

    @functools.wraps(compiled)
    def wrapper(*args, **kwargs):
        with jax.enable_x64(True):
            if _cache.get("dir") is None or kwargs:
                return compiled(*args, **kwargs)
            leaves, treedef = jax.tree_util.tree_flatten(args)
            key = trace_key(function, treedef, leaves)
            if key is None:
                return compiled(*args)
            if key not in loaded:
                loaded[key] = kept_trace(function, treedef, leaves, key)
            kept = loaded[key]
            return compiled(*args) if kept is None else kept(*leaves)

    return wrapper


def cache_dir() -> Path | None:
    """The folder of kept compiled code: ``$MYOREFLEX_CACHE_DIR``, else the user's cache folder
    (``$XDG_CACHE_HOME`` or ``~/.cache``; ``%LOCALAPPDATA%`` on Windows, ``~/Library/Caches`` on
    macOS) + ``myoreflex/jax-<jax version>``; None when ``MYOREFLEX_NO_CACHE`` is set (not 0)."""
    if os.environ.get("MYOREFLEX_NO_CACHE", "0").strip() not in ("", "0"):
        return None
    if os.environ.get("MYOREFLEX_CACHE_DIR"):
        root = Path(os.environ["MYOREFLEX_CACHE_DIR"]).expanduser()
    elif sys.platform == "win32":
        root = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "myoreflex"
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches" / "myoreflex"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "myoreflex"
    return root / f"jax-{jax.__version__}"


@functools.cache
def _source_fingerprint() -> str:
    """Hash of myoreflex's own source, so that kept traces die with any edit of the model."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


_SIMPLE = (type(None), bool, int, float, complex, str, bytes)


def _describe(value, depth: int = 0) -> str | None:
    """A text that pins ``value`` as traced code sees it (functions by code, closure and defaults),
    or None when that cannot be told safely (then nothing is kept)."""
    if depth > 8:
        return None
    if isinstance(value, _SIMPLE):
        return repr(value)
    if isinstance(value, (tuple, list, frozenset)):
        parts = [_describe(item, depth + 1) for item in (sorted(value, key=repr) if isinstance(value, frozenset)
                                                          else value)]
        return None if None in parts else f"{type(value).__name__}({', '.join(parts)})"
    if isinstance(value, dict):
        parts = [(_describe(k, depth + 1), _describe(v, depth + 1)) for k, v in value.items()]
        return None if any(None in pair for pair in parts) else f"dict({parts})"
    if isinstance(value, functools.partial):
        return _describe((value.func, value.args, value.keywords), depth + 1)
    code = getattr(value, "__code__", None)
    if code is None:
        return None
    cells = [cell.cell_contents for cell in value.__closure__ or ()]
    parts = [_describe(item, depth + 1) for item in (*cells, value.__defaults__, value.__kwdefaults__)]
    if None in parts:
        return None
    return f"{value.__module__}.{value.__qualname__}:{_code_text(code)}({', '.join(parts)})"


def _code_text(code) -> str:
    """Hash of a code object's bytecode, names and constants (nested functions' code included)."""
    consts = [_code_text(c) if hasattr(c, "co_code") else repr(c) for c in code.co_consts]
    return hashlib.sha256(code.co_code + repr((consts, code.co_names)).encode()).hexdigest()


def _tree_classes(treedef) -> set:
    node = treedef.node_data()
    found = {node[0]} if node is not None else set()
    for child in treedef.children():
        found |= _tree_classes(child)
    return found


@functools.cache
def _function_text(function) -> str | None:
    return _describe(function)


@functools.cache
def _tree_text(treedef) -> str | None:
    """``treedef`` as text with its classes' modules, or None when a class is not myoreflex's or
    Python's (a user's class may change without changing myoreflex's source)."""
    classes = _tree_classes(treedef)
    if any(cls.__module__.split(".")[0] not in ("myoreflex", "builtins") for cls in classes):
        return None
    return f"{treedef} {sorted(f'{cls.__module__}.{cls.__qualname__}' for cls in classes)}"


def trace_key(function, treedef, leaves) -> str | None:
    """The name of ``function``'s kept trace for these inputs: its code and closure, the input tree
    and each leaf's type, myoreflex's source, the JAX versions and the settings that change a trace.
    None (keep nothing) for tracers (an outer jit, grad or vmap), arrays on several devices, or a
    function or tree that cannot be described safely."""
    function_text, tree_text = _function_text(function), _tree_text(treedef)
    if function_text is None or tree_text is None:
        return None
    types = []
    for leaf in leaves:
        if isinstance(leaf, jax.core.Tracer):
            return None
        if isinstance(leaf, jax.Array) and len(leaf.sharding.device_set) > 1:
            return None
        types.append(str(jax.typeof(leaf)))
    settings = (jax.__version__, jax.default_backend(), str(jax.config.jax_numpy_rank_promotion),
                str(jax.config.jax_numpy_dtype_promotion), str(jax.config.jax_default_matmul_precision),
                str(jax.config.jax_enable_checks), repr(sorted(COMPILER_OPTIONS.items())))
    text = "\n".join([_source_fingerprint(), function_text, tree_text, " ".join(types), repr(settings)])
    return hashlib.sha256(text.encode()).hexdigest()


def kept_trace(function, treedef, leaves, key: str) -> Callable | None:
    """``function`` as a compiled call on the flat ``leaves``, from its traced program kept on disk
    under ``key`` (``jax.export``), exported and kept first when missing. None when it cannot be
    exported (a host callback, a custom call JAX does not export) or the folder is not writable:
    the caller then jits as usual."""
    from jax import export

    path = Path(_cache["dir"]) / "traces" / f"{key}.jaxexport"
    exported = None
    if path.is_file():
        try:
            exported = export.deserialize(bytearray(path.read_bytes()))
        except Exception:  # a damaged or foreign file: trace again and replace it
            exported = None
    if exported is None:
        _notice()

        def flat(*flat_leaves):
            return function(*jax.tree_util.tree_unflatten(treedef, flat_leaves))

        try:
            exported = _without_locations(export.export(jax.jit(flat))(*leaves))
        except Exception:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(exported.serialize())  # JAX's own format (flatbuffers); kept calls take no gradients
            os.replace(temporary, path)
        except Exception:
            pass  # not kept; this process still uses the export
    return jax.jit(exported.call, compiler_options=COMPILER_OPTIONS)


def _without_locations(exported):
    """``exported`` with its program's source locations stripped (MLIR's ``strip-debuginfo`` pass):
    they are a quarter of the compiled executable the cache keeps and every later call parses
    (benchmarks/RESULTS.md, issue 15). Unchanged when the pass is not available."""
    import dataclasses

    try:
        from jax._src.interpreters import mlir
        from jax._src.lib.mlir import ir, passmanager

        with mlir.make_ir_context():
            module = ir.Module.parse(exported.mlir_module())
            passmanager.PassManager.parse("builtin.module(strip-debuginfo)").run(module.operation)
            return dataclasses.replace(exported, mlir_module_serialized=mlir.module_to_bytecode(module))
    except Exception:  # a JAX without these internals: keep the locations
        return exported


def _notice() -> None:
    """Call the compile notice of :func:`configure` once per process."""
    notice = _cache.pop("notice", None)
    if notice is not None:
        notice()


def backend_started() -> bool:
    """Whether JAX has started its backends (after which :func:`configure` can change nothing)."""
    from jax._src import xla_bridge

    return bool(xla_bridge.backends_are_initialized())


def is_configured() -> bool:
    """Whether :func:`configure` has run in this process (a Dask cluster then runs it on its workers too,
    so both sides compile with the same options and agree to the last bit)."""
    return bool(_configured)


def configure(*, cpu_devices: int | None = None, small_loops: bool = True, cache: bool = True,
              notice: Callable[[], None] | None = None) -> dict:
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
    cache : keep compiled code in :func:`cache_dir` between processes (XLA's executables, every one
        however quick to compile, and the traces of :func:`jit`); off when ``MYOREFLEX_NO_CACHE`` is set.
    notice : called once, before the first compilation that the cache did not have (the command
        line prints "compiling the model (first run only)" on stderr).

    Returns
    -------
    dict: ``compute_devices``, ``small_loops`` (whether the option was passed), ``applied``
    (False when JAX's backend had already started: then nothing changes, and batches run on the
    devices JAX has) and ``cache_dir`` (None: nothing kept).

    Both settings are process-wide, which is why myoreflex never makes them at import: the command
    line and the benchmarks call this; a notebook may. Calling it again returns the first result.
    """
    if _configured:
        return dict(_configured)
    folder = _start_cache(notice) if cache else None
    if cpu_devices is None:
        cpu_devices = int(os.environ.get("MYOREFLEX_CPU_DEVICES", os.cpu_count() or 1))
    cpu_devices = max(1, int(cpu_devices))
    if backend_started():
        return {"compute_devices": len(jax.devices()), "small_loops": False, "applied": False,
                "cache_dir": folder}
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
    _configured.update(compute_devices=cpu_devices, small_loops=small, applied=True, cache_dir=folder)
    return dict(_configured)


def _start_cache(notice: Callable[[], None] | None) -> str | None:
    """Point JAX's persistent compilation cache at :func:`cache_dir` (every compilation kept: the
    defaults skip those under a second) and keep :func:`jit`'s traces there; the folder, or None."""
    import logging

    folder = cache_dir()
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    _cache["dir"] = str(folder)
    if notice is not None:
        _cache["notice"] = notice
        logger = logging.getLogger("jax._src.compiler")
        logger.addFilter(_CacheMissFilter(logger))
    return str(folder)


class _CacheMissFilter:
    """Logging filter on JAX's compiler logger: a persistent-cache miss, logged at debug level just
    before XLA compiles, calls the notice. The logger is lowered to debug for that; records below
    its former level are dropped here, so what reaches the handlers is unchanged."""

    def __init__(self, logger):
        self.threshold = logger.getEffectiveLevel()
        logger.setLevel(min(self.threshold, 10))

    def filter(self, record) -> bool:
        if record.getMessage().startswith("PERSISTENT COMPILATION CACHE MISS"):
            _notice()
        return record.levelno >= self.threshold


def compute_devices() -> list:
    """The CPU devices that simulate: those :func:`configure` asked for, else every device JAX has."""
    devices = jax.devices()
    return devices[: _configured.get("compute_devices", len(devices))]


def sampler_device():
    """The spare CPU device that runs a sampler's loop (None without :func:`configure`), so that the
    model calls it makes from the host can use every core (:func:`myoreflex.fit.core.nuts`)."""
    devices = jax.devices()
    return devices[-1] if len(devices) > len(compute_devices()) else None
