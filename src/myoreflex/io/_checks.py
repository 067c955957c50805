"""Validation and unit helpers shared by the readers.

Every reader error is a :class:`~myoreflex.errors.RecordingError` whose message is built by
:func:`~myoreflex.errors.describe` and names the file, the channel (when there is one), what was
expected and what was found.

Units. :data:`UNITS` is the one table of unit labels the readers understand, each mapped to its SI
unit and the factor that converts it (``si = value * factor``). Labels are matched without case,
spaces, dots or stars, so ``N m``, ``N.m``, ``Nm`` and ``nm`` are the same unit. Nothing outside
the table is ever guessed.

Angle plausibility (:func:`check_declared_degrees`, :func:`check_declared_radians`). A channel
declared in degrees "looks like radians" when *every* sample lies within +-pi (|x| <= 3.2) while the
trace still moves by at least 0.2 declared units (peak-to-peak). Reason: a joint angle in radians
always lies within +-pi, and any movement of a clinical test (pendulum swing, stretch) spans more
than 0.2 rad (11 deg); the same trace truly in degrees would be a movement of 0.2 to 6 deg that
never leaves +-3.2 deg, which does not happen in these tests. A still trace (peak-to-peak below
0.2) is not judged. Conversely a channel declared in radians "looks like degrees" when some
sample exceeds 2 pi in magnitude (more than a full turn of a joint).

Units from the user (:class:`Conversion`). Every reader takes ``conversions={channel:
Conversion(scale, offset, unit)}``: the file's values of that channel are multiplied by ``scale``,
``offset`` is added, and the result is read in ``unit`` (None: the file's own unit), then converted
to SI like any other value. A channel the Trial needs as an angle, an angular velocity or a torque
whose unit (after conversion) is not of that quantity is refused, never kept in volts.

Limits (:func:`check_size`, :func:`check_samples`). Every reader refuses, before reading the data,
a file larger than its ``max_bytes`` and a recording longer than its ``max_samples`` (samples per
channel); the defaults are each reader module's ``MAX_BYTES`` and ``MAX_SAMPLES``
(:data:`MAX_BYTES`, 256 MiB, and :data:`MAX_SAMPLES`, 10 million: an hour at 2.7 kHz).
"""

from __future__ import annotations

import codecs
import dataclasses
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from myoreflex.errors import ParameterError, RecordingError, describe
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG, MS

RADIAN_LIMIT = 3.2
"""|x| bound (just above pi) under which a degree-declared trace may be radians."""
RADIAN_MIN_RANGE = 0.2
"""Peak-to-peak (declared units) a trace must move before its unit is judged."""
DEGREE_LIMIT = 2.0 * math.pi
"""|x| above which a radian-declared angle looks like degrees."""
MAX_BYTES = 256 * 2**20
"""Default largest file a reader reads (bytes; a .mat file: its variables once decompressed)."""
MAX_SAMPLES = 10_000_000
"""Default largest number of samples per channel a reader reads (an hour at 2.7 kHz)."""


# label (normalised) -> (SI unit, factor to SI, dimension)
UNITS: dict[str, tuple[str, float, str]] = {
    "s": ("s", 1.0, "time"),
    "ms": ("s", MS, "time"),
    "deg": ("rad", DEG, "angle"),
    "degree": ("rad", DEG, "angle"),
    "degrees": ("rad", DEG, "angle"),
    "rad": ("rad", 1.0, "angle"),
    "deg/s": ("rad/s", DEG, "angular_velocity"),
    "deg_s": ("rad/s", DEG, "angular_velocity"),
    "rad/s": ("rad/s", 1.0, "angular_velocity"),
    "rad_s": ("rad/s", 1.0, "angular_velocity"),
    "nm": ("N m", 1.0, "torque"),
    "n_m": ("N m", 1.0, "torque"),
    "nmm": ("N m", 1e-3, "torque"),
    "n_mm": ("N m", 1e-3, "torque"),
    "n": ("N", 1.0, "force"),
    "v": ("V", 1.0, "voltage"),
    "mv": ("V", 1e-3, "voltage"),
    "uv": ("V", 1e-6, "voltage"),
    "µv": ("V", 1e-6, "voltage"),
    "m": ("m", 1.0, "length"),
    "cm": ("m", 1e-2, "length"),
    "mm": ("m", 1e-3, "length"),
    "hz": ("Hz", 1.0, "frequency"),
    "pps": ("pps", 1.0, "frequency"),
    "1": ("1", 1.0, "dimensionless"),
    "pct": ("1", 1e-2, "dimensionless"),
    "%": ("1", 1e-2, "dimensionless"),
}

#: SI unit each vocabulary channel must end up in (see myoreflex.trial).
VOCABULARY_UNITS = {"angle": "rad", "angular_velocity": "rad/s", "torque": "N m", "force": "N"}


def source_name(path: str | Path) -> str:
    return Path(path).name


def where(path: str | Path, channel: str | None = None) -> str:
    """The ``what`` part of a message: the file, and the channel when there is one."""
    name = f"`{source_name(path)}`"
    return f"{name}, channel `{channel}`" if channel is not None else name


def fail(path, channel, expected: str, got: object, hint: str = "") -> RecordingError:
    """A :class:`RecordingError` about ``channel`` of the file ``path`` (raise it)."""
    return RecordingError(describe(where(path, channel), expected, got, hint))


def normalise_unit_label(label: str) -> str:
    text = label.strip().lower().replace("·", "_").replace("*", "_").replace(".", "_").replace(" ", "_")
    text = text.replace("μ", "µ").replace("per_s", "/s").replace("_/_", "/")
    text = re.sub(r"_+", "_", text)
    if text.endswith("/s"):
        return text.replace("_/s", "/s")
    return text


def lookup_unit(label: str) -> tuple[str, float, str] | None:
    """``(SI unit, factor, dimension)`` of a unit label, or None when the label is unknown."""
    key = normalise_unit_label(label)
    if key in UNITS:
        return UNITS[key]
    if key.replace("_", "") in UNITS:
        return UNITS[key.replace("_", "")]
    return None


def require_unit(path, channel: str, label: str, hint: str = "") -> tuple[str, float, str]:
    unit = lookup_unit(label)
    if unit is None:
        raise fail(path, channel, f"a known unit ({', '.join(sorted(UNITS))})", repr(label), hint)
    return unit


def check_file(path: str | Path) -> Path:
    """The path as a Path; a missing, non-regular or empty file raises."""
    path = Path(path)
    if not path.exists():
        raise fail(path, None, "an existing file", "no such file")
    if not path.is_file():
        raise fail(path, None, "a regular file", "a directory or special file")
    if path.stat().st_size == 0:
        raise fail(path, None, "a non-empty file", "0 bytes (empty file)")
    return path


def check_time(path, column: str, time: np.ndarray) -> None:
    """Time must have 2+ finite samples and strictly increase; the message says where it does not."""
    if time.size < 2:
        raise fail(path, column, "at least 2 samples", f"{time.size}")
    bad = ~np.isfinite(time)
    if bad.any():
        raise fail(path, column, "finite times", f"NaN or inf {gap_text(time, bad, time)}")
    steps = np.diff(time)
    if np.any(steps <= 0):
        at = int(np.argmax(steps <= 0))
        raise fail(
            path,
            column,
            "strictly increasing time",
            f"{time[at]:g} then {time[at + 1]:g} (samples {at} and {at + 1})",
            "sort the rows or drop duplicated samples",
        )


def gap_runs(bad: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index runs ``[start, stop)`` where ``bad`` is True."""
    padded = np.concatenate([[False], bad, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def gap_text(values: np.ndarray, bad: np.ndarray, time: np.ndarray | None) -> str:
    runs = gap_runs(bad)
    parts = []
    for start, stop in runs[:3]:
        count = stop - start
        if time is not None and np.all(np.isfinite(time[[start, stop - 1]])):
            span = f"t = {time[start]:g} to {time[stop - 1]:g} s"
        else:
            span = f"samples {start} to {stop - 1}"
        parts.append(f"{span} ({count} sample{'s' if count > 1 else ''})")
    more = f" and {len(runs) - 3} more gaps" if len(runs) > 3 else ""
    return f"{int(bad.sum())} missing values in {len(runs)} gap(s): " + "; ".join(parts) + more


def check_finite(path, channel: str, values: np.ndarray, time: np.ndarray | None) -> None:
    """NaN or inf anywhere in a channel raises, saying where the gaps are (times in s)."""
    bad = ~np.isfinite(values)
    if bad.ndim > 1:
        bad = bad.any(axis=tuple(range(1, bad.ndim)))
    if bad.any():
        raise fail(
            path,
            channel,
            "finite values (no gaps)",
            gap_text(values, bad, time),
            "fill or cut the gaps before reading, or drop the channel",
        )


def check_declared_degrees(path, channel: str, values_deg: np.ndarray) -> None:
    """A degree-declared angle that looks like radians raises (rule in the module docstring)."""
    finite = values_deg[np.isfinite(values_deg)]
    if finite.size == 0:
        return
    span = float(np.ptp(finite))
    peak = float(np.max(np.abs(finite)))
    if peak <= RADIAN_LIMIT and span >= RADIAN_MIN_RANGE:
        raise fail(
            path,
            channel,
            "an angle in degrees (as declared)",
            f"values within +-{peak:.3g} moving {span:.3g}, which looks like radians",
            "declare the unit as rad, or pass check_angle_units=False if the degrees are right",
        )


def check_declared_radians(path, channel: str, values_rad: np.ndarray) -> None:
    """A radian-declared angle beyond a full turn looks like degrees and raises."""
    finite = values_rad[np.isfinite(values_rad)]
    if finite.size and float(np.max(np.abs(finite))) > DEGREE_LIMIT:
        raise fail(
            path,
            channel,
            "an angle in radians (as declared), within +-2 pi",
            f"|value| up to {float(np.max(np.abs(finite))):.4g}, which looks like degrees",
            "declare the unit as deg, or pass check_angle_units=False",
        )


def nominal_rate(time: np.ndarray) -> float:
    """Sampling rate in Hz from the median step (robust to gaps in the recording)."""
    return float(f"{1.0 / np.median(np.diff(time)):.9g}")


def time_gaps(time: np.ndarray, factor: float = 1.5) -> list[tuple[float, float]]:
    """``(end of data, restart)`` pairs where a time step exceeds ``factor`` median steps."""
    steps = np.diff(time)
    jumps = np.flatnonzero(steps > factor * np.median(steps))
    return [(float(time[i]), float(time[i + 1])) for i in jumps]


def sanitise_name(label: str) -> str:
    """A vendor label as a channel name: lower case, runs of other characters become ``_``."""
    text = re.sub(r"[^0-9a-z]+", "_", label.strip().lower()).strip("_")
    return text or "unnamed"


def original(name: str, unit: str, scale: float, offset: float = 0.0, **extra: Any) -> dict[str, Any]:
    """One ``metadata["original_channels"]`` entry: SI value = file value x ``scale`` (+ ``offset``,
    recorded only when a conversion adds one)."""
    entry = {"name": name, "unit": unit, "scale": float(scale), **extra}
    if offset:
        entry["offset"] = float(offset)
    return entry


def build_trial(
    path,
    time: np.ndarray,
    channels: Mapping[str, tuple[np.ndarray, str]],
    originals: Mapping[str, Mapping[str, Any]],
    metadata: Mapping[str, Any],
    *,
    joint: str | None = None,
    side: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Trial:
    """Check every channel for gaps, then assemble the Trial with the shared metadata keys.

    Metadata always holds ``source`` (the file name), ``path``, ``rate_hz`` (median step),
    ``original_channels`` and, when the time vector jumps, ``time_gaps``; then the reader's
    ``metadata``, the caller's ``joint`` and ``side`` (when given) and ``extra`` (the caller's own
    entries, which win).
    """
    check_time(path, originals.get("time", {}).get("name", "time"), time)
    for name, (values, _) in channels.items():
        check_finite(path, originals.get(name, {}).get("name", name), values, time)
    given = {key: value for key, value in (("joint", joint), ("side", side)) if value is not None}
    meta = {
        "source": source_name(path),
        "path": str(path),
        "rate_hz": nominal_rate(time),
        **metadata,
        **given,
        **(extra or {}),
        "original_channels": {k: dict(v) for k, v in originals.items()},
    }
    gaps = time_gaps(time)
    if gaps:
        meta["time_gaps"] = gaps
    built = {name: Channel(np.asarray(values, float), unit) for name, (values, unit) in channels.items()}
    return Trial(time=time, channels=built, metadata=meta)


# ---------------------------------------------------------------------------------------------
# Units from the user


@dataclasses.dataclass(frozen=True)
class Conversion:
    """How to read one channel of a file: ``value_in_unit = file_value * scale + offset``.

    Passed to every reader as ``conversions={channel: Conversion(...)}``; the key is the Trial
    channel (``angle``, ``torque``, ``emg_soleus``, ...) or the file's own column or label
    (``knee_angle_V``, ``Angle.1``). The converted values are read in ``unit`` (a label of
    :data:`UNITS`: ``deg``, ``rad``, ``N m``, ``mV``, ...; None keeps the file's own unit) and
    then converted to SI as any other value; sign options (``angle_sign``) apply after that. The
    Trial's ``metadata["original_channels"][channel]`` records the conversion and the total
    ``scale`` and ``offset`` (``SI value = file value * scale + offset``).

    Parameters
    ----------
    scale : finite, non-zero factor applied to the file's values.
    offset : finite value added after the scale, in ``unit``.
    unit : the unit of the converted values; None: the file's unit.

    Examples
    --------
    A goniometer recorded in volts, 35.68 deg per volt, zero at 0.2 V (-7.14 deg):

    >>> volts_to_deg = Conversion(scale=35.68, offset=-7.136, unit="deg")
    >>> volts_to_deg.unit, round(1.2 * volts_to_deg.scale + volts_to_deg.offset, 3)
    ('deg', 35.68)
    """

    scale: float = 1.0
    offset: float = 0.0
    unit: str | None = None

    def __post_init__(self):
        for name, allow_zero in (("scale", False), ("offset", True)):
            value = getattr(self, name)
            ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            if not ok or not math.isfinite(float(value)) or (not allow_zero and float(value) == 0.0):
                expected = "a finite number" + ("" if allow_zero else " other than 0")
                raise ParameterError(describe(f"Conversion {name}", expected, repr(value)))
            object.__setattr__(self, name, float(value))
        if self.unit is not None and (not isinstance(self.unit, str) or lookup_unit(self.unit) is None):
            raise ParameterError(describe("Conversion unit", f"None or a known unit ({', '.join(sorted(UNITS))})",
                                          repr(self.unit)))

    def apply(self, values: np.ndarray, *, inplace: bool = False) -> np.ndarray:
        """``values * scale + offset`` (in place when ``inplace`` and ``values`` is a float array)."""
        if self.scale == 1.0 and self.offset == 0.0:
            return values
        if not inplace:
            return values * self.scale + self.offset
        values *= self.scale
        values += self.offset
        return values


def parse_conversions(
    scale: Iterable[str] = (), offset: Iterable[str] = (), unit: Iterable[str] = ()
) -> dict[str, Conversion]:
    """Conversions from command-line items ``CHANNEL=VALUE`` (``--scale``, ``--offset``, ``--unit``).

    Each option may name several channels (repeat it); a channel named twice by one option, a
    malformed item or a bad value raises :class:`~myoreflex.errors.ParameterError` naming the
    option and the item.

    Examples
    --------
    >>> parse_conversions(scale=["angle=35.68"], unit=["angle=deg"])
    {'angle': Conversion(scale=35.68, offset=0.0, unit='deg')}
    """
    given: dict[str, dict[str, Any]] = {}
    for option, items in (("scale", scale), ("offset", offset), ("unit", unit)):
        for item in items or ():
            channel, sep, text = str(item).partition("=")
            channel, text = channel.strip(), text.strip()
            expected = f"CHANNEL={'UNIT' if option == 'unit' else 'NUMBER'}, e.g. angle=" + (
                "deg" if option == "unit" else "35.68")
            if not sep or not channel or not text:
                raise ParameterError(describe(f"--{option}", expected, repr(item)))
            if option in given.get(channel, {}):
                raise ParameterError(describe(f"--{option}", "each channel once", f"{channel!r} twice"))
            if option == "unit":
                value: Any = text
            else:
                try:
                    value = float(text)
                except ValueError:
                    raise ParameterError(describe(f"--{option}", expected, repr(item))) from None
            given.setdefault(channel, {})[option] = value
    out = {}
    for channel, fields in given.items():
        try:
            out[channel] = Conversion(**fields)
        except ParameterError as exc:
            raise ParameterError(f"--scale/--offset/--unit for channel `{channel}`: {exc}") from None
    return out


def check_conversions(conversions: Mapping[str, Conversion] | None) -> dict[str, Conversion]:
    """The conversions as a dict, each value checked to be a :class:`Conversion`."""
    if conversions is None:
        return {}
    if not isinstance(conversions, Mapping):
        raise ParameterError(describe("conversions", "a mapping {channel: Conversion(...)}", repr(conversions)))
    for key, value in conversions.items():
        if not isinstance(key, str) or not isinstance(value, Conversion):
            raise ParameterError(describe(f"conversions[{key!r}]", "a Conversion(scale=, offset=, unit=)",
                                          repr(value)))
    return dict(conversions)


def pick_conversion(conversions: Mapping[str, Conversion], used: set, *names: str | None) -> Conversion | None:
    """The conversion whose key is the first of ``names`` found (marked in ``used``), or None."""
    for name in names:
        if name is not None and name in conversions:
            used.add(name)
            return conversions[name]
    return None


def check_all_used(path, conversions: Mapping[str, Conversion], used: set, channels: Iterable[str]) -> None:
    """A conversion key that matched no channel or column of the file raises."""
    unused = [key for key in conversions if key not in used]
    if unused:
        raise fail(path, unused[0], f"a channel or column of the file to convert ({', '.join(channels)})",
                   "no such channel (asked in conversions)")


def conversion_record(conversion: Conversion | None) -> dict[str, Any]:
    """The ``original_channels`` entries describing a user's conversion (none without one)."""
    if conversion is None:
        return {}
    return {"conversion": {"scale": conversion.scale, "offset": conversion.offset, "unit": conversion.unit}}


def conversion_hint(channel: str, unit: str = "deg") -> str:
    return (f"convert it: conversions={{{channel!r}: Conversion(scale=FACTOR, unit={unit!r})}} "
            f"(command line: --scale {channel}=FACTOR --unit {channel}={unit})")


def require_quantity(path, label: str, channel: str, unit_label: str, dimension: str) -> tuple[str, float]:
    """``(SI unit, factor)`` of a channel the Trial needs as ``dimension``; another unit raises.

    ``dimension`` is ``angle``, ``angular_velocity`` or ``torque`` (or any dimension of
    :data:`UNITS`); the message names the file, the column, the unit and the conversion to pass.
    """
    known = lookup_unit(unit_label) if unit_label else None
    if known is None or known[2] != dimension:
        expected = {"angle": "an angle unit (deg or rad)", "angular_velocity": "an angular velocity unit "
                    "(deg/s or rad/s)", "torque": "a torque unit (N m or N mm)"}.get(dimension, f"a {dimension} unit")
        got = f"{unit_label!r}" if unit_label else "no unit"
        sample = {"angle": "deg", "angular_velocity": "deg/s", "torque": "N m"}.get(dimension, "...")
        raise fail(path, label, f"{expected} for the `{channel}` channel", f"the file says {got}",
                   conversion_hint(channel, sample))
    return known[0], known[1]


# ---------------------------------------------------------------------------------------------
# Limits


def _size_text(count: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count} bytes"  # pragma: no cover


def check_limits(path, max_bytes: int, max_samples: int) -> None:
    """``max_bytes`` and ``max_samples`` must be positive integers."""
    for name, value in (("max_bytes", max_bytes), ("max_samples", max_samples)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ParameterError(describe(f"{name} for `{source_name(path)}`", "an integer >= 1", repr(value)))


def check_size(path: Path, max_bytes: int, what: str = "file") -> int:
    """The file's size in bytes; a file larger than ``max_bytes`` raises before it is read."""
    size = path.stat().st_size
    if size > max_bytes:
        raise fail(path, None, f"a {what} of at most {_size_text(max_bytes)} (max_bytes={max_bytes})",
                   _size_text(size), "pass a larger max_bytes= to read it, if the machine has the memory")
    return size


def check_samples(path, count: int, max_samples: int, what: str = "samples per channel") -> None:
    """``count`` samples above ``max_samples`` raise (before the data are read, where known)."""
    if count > max_samples:
        raise fail(path, None, f"at most {max_samples} {what} (max_samples={max_samples})", f"{count} or more",
                   "pass a larger max_samples= to read it, or cut the recording")


# ---------------------------------------------------------------------------------------------
# Streaming text

_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines splits on
_BLOCK = 1 << 20


def text_lines(path: Path, expected: str, encoding: str = "utf-8-sig") -> Iterator[str]:
    """The file's lines (as ``str.splitlines`` gives them), read in blocks of 1 MiB.

    Never holds the whole text: memory stays at one block whatever the file's size. Undecodable
    bytes raise a :class:`RecordingError` giving their offset and ``expected`` (the format).
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    consumed = 0
    tail = ""
    with open(path, "rb") as stream:
        while True:
            data = stream.read(_BLOCK)
            final = not data
            buffered = len(decoder.getstate()[0])
            try:
                text = decoder.decode(data, final)
            except UnicodeDecodeError as exc:
                offset = consumed - buffered + exc.start
                raise fail(path, None, expected, f"undecodable bytes at offset {offset}") from None
            consumed += len(data)
            text = tail + text
            tail = ""
            if final:
                yield from text.splitlines()
                return
            lines = text.splitlines(keepends=True)
            if lines and (lines[-1][-1] not in _LINE_BREAKS or lines[-1].endswith("\r")):
                tail = lines.pop()  # unfinished, or a \r that a \n may follow in the next block
            for line in lines:
                yield line[:-2] if line.endswith("\r\n") else line[:-1]


def parse_chunk(lines: list[str], delimiter: str | None, usecols: list[int] | None) -> np.ndarray | None:
    """The numbers of ``lines`` (rows x columns) by NumPy's C parser, or None when one cell is not
    a plain number (the caller then finds and names it)."""
    if not lines:
        return None
    try:
        return np.loadtxt(lines, delimiter=delimiter, usecols=usecols, comments=None, dtype=float, ndmin=2)
    except ValueError:
        return None


def stack_columns(chunks: list[np.ndarray], width: int) -> np.ndarray:
    """``(width, rows)`` array from row chunks, each chunk freed once copied (peak: twice the data)."""
    total = sum(chunk.shape[0] for chunk in chunks)
    out = np.empty((width, total))
    start = 0
    chunks.reverse()
    while chunks:
        chunk = chunks.pop()
        out[:, start:start + chunk.shape[0]] = chunk.T
        start += chunk.shape[0]
        del chunk
    return out
