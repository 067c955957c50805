"""myoreflex: simulate and measure muscle spasm (research and teaching, not a medical device).

The package's face: the names most work needs, re-exported from the modules that define them.
Importing it changes nothing in the caller's process (no XLA flags, no float64 switch, no device
count): myoreflex computes in float64 where it computes, and :func:`myoreflex.runtime.configure`
(called by the command line and the benchmarks) sets what only JAX's start can set.

>>> import myoreflex
>>> knee = myoreflex.default_params("knee")
>>> trial = myoreflex.simulate(knee, myoreflex.PendulumTest())
>>> round(myoreflex.PendulumTest.measure(trial).r1, 2)
1.66
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("myoreflex")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

from myoreflex.conditions import CONDITIONS, apply_condition, apply_conditions
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
from myoreflex.model import ReflexParams, default_params, variants, with_variants
from myoreflex.params import get_param, parameter_table, stack_params, unstack_params, with_overrides
from myoreflex.protocols import (
    PROTOCOLS,
    ManualStretch,
    MotorizedStretch,
    PendulumTest,
    Protocol,
    register_protocol,
)
from myoreflex.runtime import configure
from myoreflex.simulation import Drive, SimulationBatch, simulate, simulate_batch
from myoreflex.subjects import Subject, subject_params
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG, MS

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
