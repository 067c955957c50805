"""The contract every virtual clinical test keeps, and the settings it declares.

A protocol is a frozen dataclass that derives from :class:`Protocol` and gives

- ``name`` (its key in :data:`myoreflex.protocols.PROTOCOLS`), ``joints`` it can test, a
  ``reference``;
- ``drive(joint) -> Drive``: what it imposes on the model (:class:`myoreflex.simulation.Drive`);
- ``measure(trial)`` (a classmethod): the measure that reads its recording (a frozen record with ``as_dict()``
  from :mod:`myoreflex.measures`);
- ``default_dt`` and ``record``: the integration step and the channels :func:`~myoreflex.simulate`
  keeps unless told otherwise; ``measured`` and ``measure_interval_s``: the channels its measure
  needs and the sampling interval it needs them at (what a cohort records);
- its settings as fields declared with :func:`setting` (unit, bounds, doc): SI inside, and the
  command line and cohort turn each into an option with its unit in the name
  (``velocity`` in rad/s is ``--velocity-deg-s``). A protocol checks them when it is built
  (:meth:`Protocol.__post_init__`): each must be a finite number inside its bounds, so a bad value
  fails at once in one line naming the setting and its range in edge units (a subclass with its own
  ``__post_init__`` calls ``super().__post_init__()``).

Everything else (simulate, simulate_batch, cohorts, the command line) works from that contract,
so a new protocol is one new module plus one line in the registry.
"""

from __future__ import annotations

import abc
import dataclasses
import math
import numbers
from typing import TYPE_CHECKING, Any, ClassVar

from myoreflex.errors import ProtocolError, describe
from myoreflex.trial import DEFAULT_DT, DEFAULT_RECORD, Trial
from myoreflex.units import DEG

if TYPE_CHECKING:
    from myoreflex.simulation import Drive

JOINTS = ("knee", "elbow", "ankle", "wrist")

#: SI unit of a setting -> (suffix of its edge name, unit shown, factor: SI value = edge value x factor).
EDGE_UNITS = {
    "rad": ("deg", "deg", DEG),
    "rad/s": ("deg_s", "deg/s", DEG),
    "s": ("s", "s", 1.0),
    "Hz": ("hz", "Hz", 1.0),
    "N m": ("nm", "N m", 1.0),
    "1": ("", "", 1.0),
}


def setting(default: Any, *, unit: str, doc: str, bounds: tuple[float, float] = (-math.inf, math.inf)):
    """Declare a protocol setting: its SI unit (a key of :data:`EDGE_UNITS`), bounds and meaning."""
    if unit not in EDGE_UNITS:
        raise ProtocolError(describe("setting unit", f"one of {', '.join(EDGE_UNITS)}", repr(unit)))
    return dataclasses.field(default=default, metadata={"unit": unit, "doc": doc, "bounds": bounds})


@dataclasses.dataclass(frozen=True)
class SettingInfo:
    """A numeric setting as the edges see it: the option name with its unit, and the conversion."""

    field: str
    edge_name: str
    unit: str
    edge_unit: str
    factor: float
    default: float | None
    bounds: tuple[float, float]
    doc: str


class Protocol(abc.ABC):
    """A virtual clinical test (abstract): subclasses are frozen dataclasses; see the module doc."""

    name: ClassVar[str]
    reference: ClassVar[str]
    joints: ClassVar[tuple[str, ...]] = JOINTS
    default_dt: ClassVar[float] = DEFAULT_DT
    record: ClassVar[tuple[str, ...]] = DEFAULT_RECORD
    measured: ClassVar[tuple[str, ...]] = ("angle", "angular_velocity", "torque", "emg")
    measure_interval_s: ClassVar[float | None] = None

    @abc.abstractmethod
    def drive(self, joint: str) -> Drive:
        """What the test imposes on a model of ``joint``."""

    @classmethod
    @abc.abstractmethod
    def measure(cls, trial: Trial, *, lenient: bool = False):
        """The test's measures of a recording, simulated or real (they read the Trial and its
        metadata, never the protocol's settings, so a recording can be measured by the class).

        A recording that fails one of the test's quality gates (:mod:`myoreflex.measures.gates`)
        raises :class:`~myoreflex.errors.QualityGateError`; with ``lenient=True`` it is measured
        and the failed gates are named in the record's ``warnings``. A test without gates ignores
        ``lenient``."""

    def __post_init__(self):
        """Refuse a setting that is not a finite number inside its declared bounds
        (:class:`ProtocolError` with the range in the setting's edge unit)."""
        check_settings(self)

    def check_joint(self, joint: str) -> None:
        """Raise :class:`ProtocolError` when the test cannot be done at ``joint``."""
        if joint not in self.joints:
            raise ProtocolError(describe(f"{self.name} joint", " or ".join(self.joints), repr(joint)))

    def metadata(self) -> dict:
        """The Trial metadata a simulation of this test carries: the protocol and its settings at the
        edges (``velocity_deg_s``), plus the stretch onset where the test has one."""
        values = {"protocol": self.name}
        for info in settings(type(self)):
            value = getattr(self, info.field)
            values[info.edge_name] = None if value is None else float(value) / info.factor
        return values

    def run(self, params, *, dt: float | None = None, record=None, **metadata) -> Trial:
        """``simulate(params, self, ...)``: the test on one subject (``metadata`` is added to the Trial's)."""
        from myoreflex.simulation import simulate

        return simulate(params, self, dt=dt, record=record, metadata=metadata)


def settings(protocol: type) -> list[SettingInfo]:
    """The numeric settings of a protocol class (fields declared with :func:`setting`), in order."""
    out = []
    for field in dataclasses.fields(protocol):
        if "unit" not in field.metadata:
            continue
        unit = field.metadata["unit"]
        suffix, shown, factor = EDGE_UNITS[unit]
        default = field.default if field.default is not dataclasses.MISSING else None
        out.append(SettingInfo(
            field=field.name,
            edge_name=f"{field.name}_{suffix}" if suffix else field.name,
            unit=unit,
            edge_unit=shown,
            factor=factor,
            default=None if default is None else float(default) / factor,
            bounds=field.metadata["bounds"],
            doc=field.metadata["doc"],
        ))
    return out


def _out_of_bounds(protocol: type, info: SettingInfo, shown_value) -> ProtocolError:
    low, high = info.bounds
    unit = f" {info.edge_unit}" if info.edge_unit else ""
    return ProtocolError(describe(f"{protocol.name} setting `{info.edge_name}`",
                                  f"a value in [{low / info.factor:g}, {high / info.factor:g}]{unit}", shown_value))


def check_settings(protocol: Protocol) -> None:
    """Raise :class:`ProtocolError` unless every setting of ``protocol`` (a built protocol) is a finite
    number inside its declared bounds; a setting whose default is None may be None.

    Examples
    --------
    >>> from myoreflex.protocols import MotorizedStretch
    >>> MotorizedStretch(velocity=float("inf"))
    Traceback (most recent call last):
    ...
    myoreflex.errors.ProtocolError: motorized_stretch setting `velocity_deg_s`: expected a value in [1, 2864.79] deg/s; got inf deg/s
    """
    cls = type(protocol)
    for info in settings(cls):
        value = getattr(protocol, info.field)
        if value is None and info.default is None and _field_default(cls, info.field) is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ProtocolError(describe(f"{cls.name} setting `{info.edge_name}`", "a number", repr(value)))
        low, high = info.bounds
        number = float(value)
        if not (math.isfinite(number) and low <= number <= high):
            unit = f" {info.edge_unit}" if info.edge_unit else ""
            raise _out_of_bounds(cls, info, f"{number / info.factor:g}{unit}")


def _field_default(cls: type, name: str):
    return next(f.default for f in dataclasses.fields(cls) if f.name == name)


def from_settings(protocol: type, values: dict[str, float]) -> Protocol:
    """A protocol instance from edge-unit settings (``{"velocity_deg_s": 100}``); unknown names, values
    outside a setting's bounds and missing required settings raise :class:`ProtocolError`."""
    infos = {info.edge_name: info for info in settings(protocol)}
    unknown = sorted(set(values) - set(infos))
    if unknown:
        raise ProtocolError(describe(f"{protocol.name} settings", f"names among {', '.join(infos) or 'none'}",
                                     ", ".join(unknown)))
    kwargs = {}
    for name, value in values.items():
        info = infos[name]
        low, high = info.bounds
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ProtocolError(describe(f"{protocol.name} setting `{name}`", "a number", repr(value))) from None
        if not (math.isfinite(number) and low <= number * info.factor <= high):
            raise _out_of_bounds(protocol, info, value)
        kwargs[info.field] = number * info.factor
    edge_names = {info.field: info.edge_name for info in infos.values()}
    missing = [edge_names.get(f.name, f.name) for f in dataclasses.fields(protocol)
               if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
               and f.name not in kwargs]
    if missing:
        raise ProtocolError(describe(f"protocol `{protocol.name}`", f"the settings {', '.join(missing)}",
                                     "none", "they have no default"))
    return protocol(**kwargs)


def measure_trial(protocol: Protocol | type[Protocol], trial: Trial, *, lenient: bool = False):
    """``protocol.measure(trial)``, passing ``lenient`` only when it is asked for, so that a
    protocol written before ``lenient`` joined the contract still measures (strictly)."""
    return protocol.measure(trial, lenient=True) if lenient else protocol.measure(trial)
