"""The one data model for a recording, real or simulated.

A :class:`Trial` holds a strictly increasing time vector (s), named channels with their units and
metadata. Simulators and readers both produce Trials and every measure consumes them, so a measure
never knows (or cares) whether the numbers came from a patient or from the model.

Channel vocabulary (SI units): ``angle`` (rad), ``angular_velocity`` (rad/s), ``torque`` (N m),
``force`` (N), ``emg_<muscle>`` (normalised excitation, 1, or V for recordings), ``ia_<muscle>`` /
``ii_<muscle>`` / ``ib_<muscle>`` (pps), ``force_<muscle>`` (N), ``activation_<muscle>`` (1).
Angle sign convention: each joint's positive direction is the one that stretches the tested muscle
group (knee flexion, elbow extension, ankle dorsiflexion, wrist extension); see
:mod:`myoreflex.physiology.limb`.

Metadata. The standard keys are declared once, as the :class:`MetadataKey` attributes of
:class:`Trial` (listed in :data:`STANDARD_METADATA`): each has a type, a meaning and a unit in its
name where it has one (``rate_hz``, ``stretch_onset_s``). A Trial checks their types when it is
built (a wrong type raises :class:`~myoreflex.errors.RecordingError` naming the key) and offers each
as a typed attribute (``trial.stretch_onset_s``, None when absent). Readers and simulations fill the
same keys; measures read them through the attributes. Any other key is allowed and kept as given.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Mapping
from numbers import Integral, Real
from types import MappingProxyType
from typing import Any, Generic, TypeVar, overload

import numpy as np

from myoreflex.errors import RecordingError, Status, describe, require_extra

T = TypeVar("T", str, float, int)


# Defaults of a simulated Trial, declared here (below the simulator, with nothing heavy imported) so
# that protocols and the command line can name them without loading JAX (myoreflex.simulation uses them).
DEFAULT_DT = 1e-3
"""Default step (s) of a protocol that does not choose its own (``Protocol.default_dt``)."""
DEFAULT_RECORD = ("angle", "angular_velocity", "torque", "emg", "force", "ia")
"""The channels a simulation records unless told otherwise (``record=``)."""

@dataclasses.dataclass(frozen=True)
class Channel:
    """One signal: values sampled at the Trial's times, with its unit."""

    values: np.ndarray
    unit: str


class MetadataKey(Generic[T]):
    """A standard metadata key: its type and meaning, read on a Trial as a typed attribute.

    ``trial.<key>`` is the value (``str``, ``float`` or ``int``), or ``default`` (None unless
    given) when the Trial's metadata lack it or hold None.
    """

    def __init__(self, kind: type[T], doc: str, default: T | None = None):
        self.kind = kind
        self.doc = doc
        self.default = default
        self.name = ""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, trial: None, owner: type) -> MetadataKey[T]: ...
    @overload
    def __get__(self, trial: Trial, owner: type) -> T | None: ...
    def __get__(self, trial, owner=None):
        if trial is None:
            return self
        value = trial.metadata.get(self.name)
        return self.default if value is None else value

    def check(self, value: Any, source: str) -> T | None:
        """``value`` as this key's type (int and float become float for a float key); None stays None."""
        if value is None:
            return None
        ok = {
            str: isinstance(value, str),
            float: isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value)),
            int: isinstance(value, Integral) and not isinstance(value, bool),
        }[self.kind]
        if not ok:
            expected = {str: "a string", float: "a finite number", int: "an integer"}[self.kind]
            raise RecordingError(describe(f"`{source}`, metadata `{self.name}`", f"{expected} ({self.doc})",
                                          f"{value!r} ({type(value).__name__})"))
        return self.kind(value)


REPR_MAX_CHARS = 500
"""Longest ``repr(trial)``, whatever the number of channels or metadata keys."""


def _short(text: str, most: int) -> str:
    """``text`` cut to ``most`` characters, the cut marked by an ellipsis."""
    return text if len(text) <= most else text[: most - 3] + "..."


def _listed(items: list[str], most: int) -> str:
    """Comma-separated ``items`` within ``most`` characters, ending with ``+N more`` when cut."""
    shown: list[str] = []
    for k, item in enumerate(items):
        rest = len(items) - k - 1
        tail = f", +{rest} more" if rest else ""
        if len(", ".join([*shown, item]) + tail) > most:
            return ", ".join(shown) + f"{', ' if shown else ''}+{len(items) - k} more"
        shown.append(item)
    return ", ".join(shown)


@dataclasses.dataclass(frozen=True, repr=False)
class Trial:
    """Time, named channels with units, and metadata. Immutable; validated on construction.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0.0, 1.0, 101)
    >>> trial = Trial(t, {"angle": Channel(0.5 * t, "rad")}, {"source": "demo.csv", "rate_hz": 100})
    >>> trial.unit("angle"), trial.rate_hz, trial.joint
    ('rad', 100.0, None)
    >>> trial.window(0.2, 0.4).time.size
    21
    """

    time: np.ndarray
    channels: Mapping[str, Channel]
    metadata: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    status: Status = Status.OK

    # The standard metadata keys (STANDARD_METADATA), each also a typed attribute of the Trial.
    source = MetadataKey(str, "where the data come from: the file name, or `myoreflex simulation`", "trial")
    format = MetadataKey(str, "the reader's format: csv, opensim, c3d, ipsa")
    subject = MetadataKey(str, "subject id")
    side = MetadataKey(str, "left or right")
    joint = MetadataKey(str, "the tested joint: knee, elbow, ankle, wrist")
    protocol = MetadataKey(str, "the protocol's name (myoreflex.protocols.PROTOCOLS) or label")
    rate_hz = MetadataKey(float, "nominal sampling rate in Hz, from the median time step")
    dt_s = MetadataKey(float, "integration step of a simulation in s")
    angle_sign = MetadataKey(float, "sign the reader applied to the file's angle")
    stretch_onset_s = MetadataKey(float, "time the stretch starts in s")
    velocity_deg_s = MetadataKey(float, "programmed stretch velocity in deg/s")
    stretch_direction = MetadataKey(float, "+1 or -1: the sign of a stretch in the Trial's angle")
    stretch_speed = MetadataKey(str, "the protocol's speed label, e.g. low or high")
    segment = MetadataKey(int, "1-based position of this stretch in a multi-segment file")
    lever_arm_m = MetadataKey(float, "joint axis to where the force is measured, in m")
    inertia_kg_m2 = MetadataKey(float, "moment of inertia of the moved segment and device in kg m^2")
    steady_from_s = MetadataKey(float, "first time of the steady part of a perturbation in s")
    hold_angle_deg = MetadataKey(float, "angle held during a perturbation in deg")

    def __post_init__(self):
        raw_source = self.metadata.get("source")
        source = raw_source if isinstance(raw_source, str) else "trial"
        metadata = dict(self.metadata)
        for name, key in STANDARD_METADATA.items():
            if name in metadata:
                metadata[name] = key.check(metadata[name], source)
        time = np.asarray(self.time, dtype=float)
        if time.ndim != 1 or time.size < 2:
            raise RecordingError(describe(f"`{source}`, time", "a 1-D vector of at least 2 samples",
                                          time.shape))
        if not np.all(np.isfinite(time)):
            raise RecordingError(describe(f"`{source}`, time", "finite values", "NaN or inf"))
        if np.any(np.diff(time) <= 0):
            at = int(np.argmax(np.diff(time) <= 0))
            got = f"{time[at]:g} then {time[at + 1]:g}"
            raise RecordingError(describe(f"`{source}`, time", "strictly increasing values", got))
        channels = {}
        for name, channel in self.channels.items():
            values = np.asarray(channel.values, dtype=float)
            if values.shape[:1] != time.shape:
                raise RecordingError(
                    describe(f"`{source}`, channel `{name}`", f"{time.size} samples", values.shape[:1])
                )
            if not isinstance(channel.unit, str):
                raise RecordingError(describe(f"`{source}`, channel `{name}`", "a unit (str)",
                                              repr(channel.unit)))
            channels[name] = Channel(values, channel.unit)
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "channels", MappingProxyType(channels))
        object.__setattr__(self, "metadata", MappingProxyType(metadata))

    def __getitem__(self, name: str) -> np.ndarray:
        return self.channel(name).values

    def __contains__(self, name: str) -> bool:
        return name in self.channels

    def channel(self, name: str) -> Channel:
        """The named channel; a missing one raises :class:`RecordingError` listing what exists."""
        try:
            return self.channels[name]
        except KeyError:
            known = f"one of {sorted(self.channels)}"
            raise RecordingError(describe(f"`{self.source}`, channel `{name}`", known, "no such channel")) from None

    def unit(self, name: str) -> str:
        """The unit of the named channel."""
        return self.channel(name).unit

    @property
    def sampling_rate(self) -> float:
        """Mean sampling rate in Hz."""
        return (self.time.size - 1) / (self.time[-1] - self.time[0])

    @property
    def duration(self) -> float:
        return float(self.time[-1] - self.time[0])

    def with_channels(self, **channels: Channel) -> Trial:
        """A copy with channels added or replaced."""
        return dataclasses.replace(self, channels={**self.channels, **channels})

    def with_metadata(self, **metadata: Any) -> Trial:
        """A copy with metadata added or replaced."""
        return dataclasses.replace(self, metadata={**self.metadata, **metadata})

    def window(self, start: float, stop: float) -> Trial:
        """The samples with ``start <= time <= stop``."""
        keep = (self.time >= start) & (self.time <= stop)
        return dataclasses.replace(
            self,
            time=self.time[keep],
            channels={k: Channel(c.values[keep], c.unit) for k, c in self.channels.items()},
        )

    def emg_names(self) -> list[str]:
        """Muscle names of the ``emg_<muscle>`` channels."""
        return [name[4:] for name in self.channels if name.startswith("emg_")]

    def _rate_text(self) -> str:
        rate = self.rate_hz if self.rate_hz is not None else self.sampling_rate
        return f"{rate:.6g} Hz"

    def __repr__(self) -> str:
        """One line, under :data:`REPR_MAX_CHARS` characters: duration, rate, channels with units,
        metadata keys, status (never the values: ``trial.to_dataframe()`` shows them).

        Examples
        --------
        >>> t = np.linspace(0.0, 2.0, 201)
        >>> Trial(t, {"angle": Channel(0.5 * t, "rad")}, {"source": "knee.csv", "rate_hz": 100})
        Trial('knee.csv': 2 s at 100 Hz, 201 samples; channels angle [rad]; metadata source, rate_hz; OK)
        """
        channels = [f"{_short(name, 40)} [{_short(c.unit, 12)}]" for name, c in self.channels.items()]
        keys = [_short(str(key), 30) for key in self.metadata]
        head = (f"Trial({_short(self.source, 60)!r}: {self.duration:.6g} s at {self._rate_text()}, "
                f"{self.time.size} samples; channels ")
        tail = f"; {self.status.name})"
        room = REPR_MAX_CHARS - 1 - len(head) - len(tail) - len("; metadata ")
        shown_channels = _listed(channels, max(room * 2 // 3, room - len(", ".join(keys)))) if channels else "none"
        shown_keys = _listed(keys, room - len(shown_channels)) if keys else "none"
        return _short(f"{head}{shown_channels}; metadata {shown_keys}{tail}", REPR_MAX_CHARS - 1)

    def _repr_html_(self) -> str:
        """A small HTML table for notebooks: one row per channel (unit, min, max; at most 30 rows)."""
        rows = []
        for name, channel in list(self.channels.items())[:30]:
            values = channel.values
            low, high = (f"{np.nanmin(values):.4g}", f"{np.nanmax(values):.4g}") if np.isfinite(values).any() \
                else ("nan", "nan")
            rows.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(channel.unit)}</td>"
                        f"<td>{low}</td><td>{high}</td></tr>")
        if len(self.channels) > 30:
            rows.append(f"<tr><td colspan=4>... {len(self.channels) - 30} more channels</td></tr>")
        keys = html.escape(_listed([str(key) for key in self.metadata], 300) or "none")
        caption = html.escape(f"Trial {self.source!r}: {self.duration:.6g} s at {self._rate_text()}, "
                              f"{self.time.size} samples, {self.status.name}")
        return (f"<table><caption>{caption}</caption>"
                "<tr><th>channel</th><th>unit</th><th>min</th><th>max</th></tr>"
                + "".join(rows) + f"<tr><td colspan=4>metadata: {keys}</td></tr></table>")

    def to_dataframe(self):
        """The channels as a ``pandas.DataFrame`` indexed by time (s); units in ``df.attrs["units"]``.

        Column names are the channel names (a channel with several values per sample gives
        ``<name>_0``, ``<name>_1``, ...); ``df.attrs`` also holds ``metadata`` (a dict copy) and
        ``status``. Needs pandas (``data`` extra).

        Examples
        --------
        >>> t = np.linspace(0.0, 1.0, 3)
        >>> frame = Trial(t, {"angle": Channel(t, "rad")}).to_dataframe()
        >>> frame.index.name, list(frame.columns), frame.attrs["units"]
        ('time_s', ['angle'], {'angle': 'rad'})
        """
        pandas = require_extra("pandas", "data")
        columns, units = {}, {}
        for name, channel in self.channels.items():
            if channel.values.ndim == 1:
                columns[name], units[name] = channel.values, channel.unit
                continue
            for k, column in enumerate(channel.values.reshape(self.time.size, -1).T):
                columns[f"{name}_{k}"], units[f"{name}_{k}"] = column, channel.unit
        frame = pandas.DataFrame(columns, index=pandas.Index(self.time, name="time_s"))
        frame.attrs.update(units=units,
                           metadata=dict(self.metadata), status=self.status.name)
        return frame

    def to_xarray(self):
        """The channels as an ``xarray.Dataset`` over a ``time`` coordinate (attrs ``units="s"``).

        Each channel is a variable whose ``attrs["units"]`` is its unit (CF convention); the
        Dataset's attrs hold the metadata whose values are plain numbers or strings, and ``status``.
        Needs xarray (``data`` extra).

        Examples
        --------
        >>> t = np.linspace(0.0, 1.0, 3)
        >>> data = Trial(t, {"torque": Channel(2 * t, "N m")}, {"joint": "knee"}).to_xarray()
        >>> data["torque"].attrs["units"], data["time"].attrs["units"], data.attrs["joint"]
        ('N m', 's', 'knee')
        """
        xarray = require_extra("xarray", "data")
        time = xarray.Variable("time", self.time, {"units": "s", "long_name": "time"})
        variables = {
            name: xarray.Variable(("time", *(f"{name}_dim_{k}" for k in range(1, c.values.ndim))), c.values,
                                  {"units": c.unit})
            for name, c in self.channels.items()
        }
        attrs = {str(key): value for key, value in self.metadata.items()
                 if isinstance(value, (str, int, float)) and not isinstance(value, bool)}
        return xarray.Dataset(variables, coords={"time": time}, attrs={**attrs, "status": self.status.name})


STANDARD_METADATA: Mapping[str, MetadataKey] = MappingProxyType(
    {name: key for name, key in vars(Trial).items() if isinstance(key, MetadataKey)}
)
"""The standard metadata keys by name (declared on :class:`Trial`), each with its type and meaning."""
