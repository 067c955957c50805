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
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from myoreflex.errors import MyoreflexWarning, RecordingError, describe
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG, MS

RADIAN_LIMIT = 3.2
"""|x| bound (just above pi) under which a degree-declared trace may be radians."""
RADIAN_MIN_RANGE = 0.2
"""Peak-to-peak (declared units) a trace must move before its unit is judged."""
DEGREE_LIMIT = 2.0 * math.pi
"""|x| above which a radian-declared angle looks like degrees."""


class UnitWarning(MyoreflexWarning):
    """A channel is kept in a unit that is not the SI unit of its quantity (e.g. V for an angle)."""


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


def original(name: str, unit: str, scale: float, **extra: Any) -> dict[str, Any]:
    """One ``metadata["original_channels"]`` entry: SI value = file value x ``scale``."""
    return {"name": name, "unit": unit, "scale": float(scale), **extra}


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


def warn_unit(path, channel: str, unit: str, expected: str, hint: str) -> None:
    """Emit a :class:`UnitWarning`: ``channel`` stays in ``unit`` instead of ``expected``."""
    warnings.warn(
        describe(where(path, channel), expected, f"{unit} and no scale factor, so it stays in {unit}", hint),
        UnitWarning,
        stacklevel=3,
    )
