"""myoreflex: simulate and measure muscle spasm (research and teaching, not a medical device).

The package's face: the names most work needs, re-exported from the modules that define them.
Importing it changes nothing in the caller's process (no XLA flags, no float64 switch, no device
count): myoreflex computes in float64 where it computes, and :func:`myoreflex.runtime.configure`
(called by the command line and the benchmarks) sets what only JAX's start can set.

>>> import myoreflex
>>> knee = myoreflex.default_params("knee")
>>> trial = myoreflex.simulate(knee, myoreflex.PendulumTest())
>>> round(myoreflex.PendulumTest.measure(trial).r1, 2)
1.67
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("myoreflex")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

from myoreflex.errors import (
    FitFailed,
    MyoreflexError,
    MyoreflexWarning,
    NotSupported,
    ParameterError,
    ProtocolError,
    RecordingError,
    SimulationFailed,
    Status,
)
from myoreflex.units import DEG, MS

# The rest is imported on first use (PEP 562), so that `myoreflex --help` and a bad option answer
# before JAX has loaded: name -> the module that defines it.
_LAZY = {
    **dict.fromkeys(("CONDITIONS", "apply_condition", "apply_conditions"), "myoreflex.conditions"),
    **dict.fromkeys(("ReflexParams", "default_params", "variants", "with_variants"), "myoreflex.model"),
    **dict.fromkeys(("get_param", "parameter_table", "stack_params", "unstack_params", "with_overrides"),
                    "myoreflex.params"),
    **dict.fromkeys(("PROTOCOLS", "ManualStretch", "MotorizedStretch", "PendulumTest", "Protocol",
                     "register_protocol"), "myoreflex.protocols"),
    "configure": "myoreflex.runtime",
    **dict.fromkeys(("Drive", "SimulationBatch", "simulate", "simulate_batch"), "myoreflex.simulation"),
    **dict.fromkeys(("Subject", "subject_params"), "myoreflex.subjects"),
    **dict.fromkeys(("Channel", "Trial"), "myoreflex.trial"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'myoreflex' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "CONDITIONS",
    "DEG",
    "MS",
    "PROTOCOLS",
    "Channel",
    "Drive",
    "FitFailed",
    "ManualStretch",
    "MotorizedStretch",
    "MyoreflexError",
    "MyoreflexWarning",
    "NotSupported",
    "ParameterError",
    "PendulumTest",
    "Protocol",
    "ProtocolError",
    "RecordingError",
    "ReflexParams",
    "SimulationBatch",
    "SimulationFailed",
    "Status",
    "Subject",
    "Trial",
    "__version__",
    "apply_condition",
    "apply_conditions",
    "configure",
    "default_params",
    "get_param",
    "parameter_table",
    "register_protocol",
    "simulate",
    "simulate_batch",
    "stack_params",
    "subject_params",
    "unstack_params",
    "variants",
    "with_overrides",
    "with_variants",
]
