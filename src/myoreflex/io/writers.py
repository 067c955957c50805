"""Write a :class:`~myoreflex.trial.Trial` to a file the readers read back: CSV, OpenSim ``.mot``, Parquet.

:func:`write_trial` picks the format by the suffix (the :data:`WRITERS` registry); every write goes
through :func:`myoreflex.io.results.check_output` (folder exists and is writable, the path is not a
directory nor the Trial's own source file, a known suffix) and
:func:`myoreflex.io.results.atomic_path` (a temporary name, renamed when complete: a failed or
killed write leaves the old file or nothing, never half a file).

=============  ======================================================  ==============================
suffix         what is written                                         read back
=============  ======================================================  ==============================
``.csv``       the CSV reader's unit-suffix header (``time_s,          ``read_trial(path)``: the same
               angle_rad,torque_Nm``), SI units, shortest exact        channels, units and values,
               float text (``repr``), one comment line                 bit for bit (:func:`read_csv`)
``.mot``       OpenSim 4 storage: ``inDegrees=yes``, the angle as the  ``read_trial(path,
               joint's OpenSim coordinate (:data:`OPENSIM_COORDINATES`, **mot_read_options(trial))``:
               degrees and OpenSim's sign), torque as                  angle, torque and EMG within
               ``<coordinate>_moment``, angular velocity as            float rounding (deg <-> rad)
               ``<coordinate>_speed`` (deg/s), EMG by muscle name
``.parquet``   one float64 column per channel and ``time``, each      :func:`read_parquet`: every
               field's unit in its metadata, the Trial's metadata and  channel, unit and value bit for
               status as JSON in the schema metadata (``parquet``      bit, metadata and status
               extra)
=============  ======================================================  ==============================

Bit-exact CSV. Values are written in SI with Python's ``repr``: the shortest decimal text that
parses back to the same float64 (Python's float repr, after Steele & White 1990 and Gay 1990), and
every column's suffix is the SI unit itself (``_rad``, ``_rad_s``, ``_Nm``, ``_N``, ``_V``, ...), so
the reader multiplies by exactly 1. A channel the CSV reader would read under another name or unit
is refused before anything is written (:func:`csv_columns` says why): names must be lower case
``[a-z0-9_]``, units the SI units of :data:`CSV_SUFFIXES`. A Trial with a second angle channel
(``hip_angle`` beside ``angle``) is written too; the comment line then says the option the reader
needs (``angle_channel=``), also given by :func:`csv_read_options`.

The readers refuse NaN gaps (:func:`myoreflex.io._checks.check_finite`): a Trial holding NaN (a
diverged simulation) is still written (``nan`` cells) but cannot be read back until the gaps are cut.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from myoreflex.errors import ParameterError, RecordingError, Status, describe, require_extra
from myoreflex.io import _checks
from myoreflex.io._checks import Conversion, fail
from myoreflex.io.csv import split_unit_suffix, vocabulary_name
from myoreflex.io.results import atomic_path, check_output
from myoreflex.registry import Registry
from myoreflex.trial import Trial
from myoreflex.units import DEG

CSV_SUFFIXES: Mapping[str, str] = {
    "s": "s", "rad": "rad", "rad/s": "rad_s", "N m": "Nm", "N": "N", "V": "V", "m": "m", "Hz": "Hz",
    "pps": "pps", "1": "1",
}
"""Column suffix written for each SI channel unit (the CSV reader reads each with factor exactly 1)."""

OPENSIM_COORDINATES: Mapping[str, tuple[str, float, float]] = {
    "knee": ("knee_angle_{side}", -1.0, 0.0),
    "ankle": ("ankle_angle_{side}", 1.0, 0.0),
    "elbow": ("elbow_flex_{side}", -1.0, 180.0),
    "wrist": ("wrist_flex_{side}", -1.0, 0.0),
}
"""Joint -> (OpenSim coordinate, sign, offset in deg): ``coordinate_deg = sign * angle_deg + offset``.

Knee: gait2392's ``knee_angle_r`` (Delp et al. 1990; flexion negative, 0 at full extension), the
myoreflex knee angle being flexion positive. Ankle: ``ankle_angle_r`` of gait2392 and Rajagopal et
al. 2016 (dorsiflexion positive, as in myoreflex). Elbow: ``elbow_flex_r`` of Rajagopal et al. 2016
and arm26 (0 straight, flexion positive), the myoreflex elbow angle being 180 deg straight, extension
positive. Wrist: ``wrist_flex_r`` of Rajagopal et al. 2016 (flexion positive; myoreflex extension
positive). Rajagopal's ``knee_angle_r`` is flexion *positive*: read such a file with ``angle_sign=1``.
"""

MOT_CHANNELS = "angle, torque, angular_velocity and emg_<muscle>"
"""The channels a ``.mot`` file carries (OpenSim storage has no per-column units)."""

_CHUNK_ROWS = 1 << 16
_READ_NAME = re.compile(r"[0-9a-z_]+")


# --- CSV --------------------------------------------------------------------------------------------


def _read_as(column: str) -> tuple[str, str, float]:
    """``(channel, SI unit, factor)`` the CSV reader gives a column read without options."""
    quantity, suffix = split_unit_suffix(column) or ("", "")
    quantity = re.sub(r"[^0-9a-z_]+", "_", quantity)
    unit, factor, dimension = _checks.lookup_unit(column.strip()[-len(suffix):]) or ("", math.nan, "")
    return vocabulary_name(quantity, dimension)[0], unit, factor


def csv_columns(trial: Trial, path: str | Path = "trial.csv") -> tuple[dict[str, str], str | None]:
    """``({channel: column}, angle column to pass as angle_channel= or None)`` for a CSV of ``trial``.

    The ``angle`` column carries the joint and side when the metadata give them
    (``knee_angle_r_rad``), so that the reader finds them again. Raises
    :class:`~myoreflex.errors.RecordingError` for a channel the CSV reader would not read back
    under its own name and unit (module doc).
    """
    columns: dict[str, str] = {}
    for name, channel in trial.channels.items():
        suffix = CSV_SUFFIXES.get(channel.unit)
        if suffix is None:
            raise fail(path, name, f"a channel in an SI unit the CSV reader keeps ({', '.join(CSV_SUFFIXES)})",
                       repr(channel.unit), "convert the channel to SI, or write .parquet (any unit)")
        if channel.values.ndim != 1:
            raise fail(path, name, "one value per sample", f"shape {channel.values.shape}", "write .parquet")
        if not _READ_NAME.fullmatch(name) or name == "time":
            raise fail(path, name, "a channel name of lower-case letters, digits and _ (not `time`)",
                       repr(name), "rename the channel, or write .parquet (any name)")
        base = name
        if name == "angle" and trial.joint and _READ_NAME.fullmatch(trial.joint):
            side = {"left": "_l", "right": "_r"}.get(trial.side or "", "")
            base = f"{trial.joint}_angle{side}"
        columns[name] = f"{base}_{suffix}"
    angle_column = None
    others = [name for name, column in columns.items() if name != "angle" and _read_as(column)[0] == "angle"]
    if others and "angle" in columns:
        angle_column = columns["angle"]
    for name, column in columns.items():
        got, unit, factor = _read_as(column)
        if angle_column is not None and got == "angle" and name != "angle":
            got = re.sub(r"[^0-9a-z_]+", "_", (split_unit_suffix(column) or ("", ""))[0])
        if (got, unit, factor) != (name, trial.channels[name].unit, 1.0):
            raise fail(path, name, "a channel name the CSV reader reads back as itself",
                       f"it would be read as `{got}` in {unit or 'no unit'}",
                       "rename the channel (e.g. `angle` for the joint angle), or write .parquet")
    read_back = [_read_as(column)[0] if angle_column is None else name for name, column in columns.items()]
    if len(set(read_back)) != len(read_back):
        raise fail(path, None, "channels the CSV reader reads as distinct channels", sorted(columns),
                   "write .parquet")
    return columns, angle_column


def csv_read_options(trial: Trial) -> dict[str, Any]:
    """The reader options that read the CSV :func:`write_trial` writes for ``trial`` back exactly.

    Empty unless the Trial has a second angle channel beside ``angle`` (``{"angle_channel": ...}``).
    """
    angle_column = csv_columns(trial)[1]
    return {} if angle_column is None else {"angle_channel": angle_column}


def _text_rows(time: np.ndarray, columns: Sequence[np.ndarray], delimiter: str):
    """Lines of ``repr`` floats (shortest exact text), ``_CHUNK_ROWS`` rows at a time."""
    for start in range(0, time.size, _CHUNK_ROWS):
        block = np.column_stack([time[start:start + _CHUNK_ROWS], *(c[start:start + _CHUNK_ROWS] for c in columns)])
        yield "".join(delimiter.join(map(repr, row)) + "\n" for row in block.tolist())


def _one_line(text: object) -> str:
    return re.sub(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+", " ", str(text))


def _write_csv(trial: Trial, temporary: Path, path: Path) -> None:
    columns, angle_column = csv_columns(trial, path)
    option = f"; read back with angle_channel={angle_column!r}" if angle_column else ""
    with open(temporary, "w", encoding="utf-8", newline="") as stream:
        stream.write(f"# myoreflex Trial from `{_one_line(trial.source)}`, SI units{option}\n")
        stream.write(",".join(["time_s", *columns.values()]) + "\n")
        stream.writelines(_text_rows(trial.time, [trial[name] for name in columns], ","))


# --- OpenSim .mot -----------------------------------------------------------------------------------


def _coordinate(trial: Trial, path: str | Path) -> tuple[str, float, float]:
    joint = trial.joint
    if joint not in OPENSIM_COORDINATES:
        raise fail(path, "angle", f"a Trial whose metadata name its joint ({', '.join(OPENSIM_COORDINATES)})",
                   repr(joint), "set it with trial.with_metadata(joint='knee')")
    name, sign, offset = OPENSIM_COORDINATES[joint]
    return name.format(side="l" if trial.side == "left" else "r"), sign, offset


def _emg_label(name: str) -> str:
    return _checks.sanitise_name(name[4:])


def mot_read_options(trial: Trial) -> dict[str, Any]:
    """The reader options that read the ``.mot`` :func:`write_trial` writes for ``trial`` back.

    ``angle_channel`` (the OpenSim coordinate), ``angle_sign`` (OpenSim's sign back to myoreflex's),
    ``emg_columns`` (the muscles; an empty list keeps a file named ``*emg*`` from being read as all
    EMG) and, for the elbow, ``conversions`` removing the 180 deg offset.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel
    >>> t = np.linspace(0.0, 1.0, 11)
    >>> trial = Trial(t, {"angle": Channel(t, "rad")}, {"joint": "knee", "side": "right"})
    >>> mot_read_options(trial)
    {'angle_channel': 'knee_angle_r', 'angle_sign': -1.0, 'emg_columns': []}
    """
    coordinate, sign, offset = _coordinate(trial, "trial.mot")
    options: dict[str, Any] = {"angle_channel": coordinate, "angle_sign": sign,
                               "emg_columns": [_emg_label(name) for name in trial.channels if name.startswith("emg_")]}
    if offset:
        options["conversions"] = {coordinate: Conversion(offset=-offset)}
    return options


def _write_mot(trial: Trial, temporary: Path, path: Path) -> None:
    if "angle" not in trial:
        raise fail(path, "angle", "a Trial with an `angle` channel (the OpenSim coordinate)", sorted(trial.channels),
                   "write .csv or .parquet")
    coordinate, sign, offset = _coordinate(trial, path)
    columns: dict[str, np.ndarray] = {}
    for name, channel in trial.channels.items():
        expected = {"angle": "rad", "angular_velocity": "rad/s", "torque": "N m"}.get(name)
        if expected is None and name.startswith("emg_"):
            expected = "V"
        if expected is None:
            raise fail(path, name, f"channels a .mot carries ({MOT_CHANNELS})", "another channel",
                       "choose channels with write_trial(..., channels=[...]), or write .csv or .parquet")
        if channel.unit != expected or channel.values.ndim != 1:
            raise fail(path, name, f"one value per sample in {expected}", f"{channel.unit}, shape "
                       f"{channel.values.shape}")
        if name == "angle":
            columns[coordinate] = sign * (channel.values / DEG) + offset
        elif name == "angular_velocity":
            columns[f"{coordinate}_speed"] = sign * (channel.values / DEG)
        elif name == "torque":
            columns[f"{coordinate}_moment"] = sign * channel.values
        else:
            columns[_emg_label(name)] = channel.values
    if len(columns) != len(trial.channels):
        raise fail(path, None, "channels with distinct OpenSim labels", sorted(trial.channels))
    header = [
        re.sub(r"[=\s]+", "_", path.stem) or "myoreflex",
        "version=1",
        f"nRows={trial.time.size}",
        f"nColumns={len(columns) + 1}",
        "inDegrees=yes",
        ("Units are S.I. units (second, meters, Newtons, ...); angles in degrees. Written by myoreflex "
         f"from `{_one_line(trial.source)}`."),
        "endheader",
        "\t".join(["time", *columns]),
    ]
    with open(temporary, "w", encoding="utf-8", newline="") as stream:
        stream.write("\n".join(header) + "\n")
        stream.writelines(_text_rows(trial.time, list(columns.values()), "\t"))


# --- Parquet ----------------------------------------------------------------------------------------

_SCHEMA_KEY = b"myoreflex"
_READER_KEYS = ("source", "path", "format", "rate_hz", "original_channels")


def _plain(value):
    """``value`` as JSON types (arrays and tuples as lists; anything else as its text)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else str(float(value))
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _write_parquet(trial: Trial, temporary: Path, path: Path) -> None:
    pyarrow = require_extra("pyarrow", "parquet")
    from pyarrow import parquet

    if "time" in trial.channels:
        raise fail(path, "time", "channel names other than `time` (the time column)", "a channel `time`")
    fields, arrays = [pyarrow.field("time", pyarrow.float64(), metadata={"unit": "s"})], [trial.time]
    for name, channel in trial.channels.items():
        if channel.values.ndim != 1:
            raise fail(path, name, "one value per sample", f"shape {channel.values.shape}")
        fields.append(pyarrow.field(name, pyarrow.float64(), metadata={"unit": channel.unit}))
        arrays.append(channel.values)
    record = {"version": 1, "status": trial.status.name, "metadata": _plain(dict(trial.metadata))}
    schema = pyarrow.schema(fields, metadata={_SCHEMA_KEY: json.dumps(record).encode()})
    table = pyarrow.Table.from_arrays([pyarrow.array(a, pyarrow.float64()) for a in arrays], schema=schema)
    parquet.write_table(table, temporary)


def read_parquet(
    path: str | Path,
    *,
    metadata: Mapping[str, Any] | None = None,
    max_bytes: int = _checks.MAX_BYTES,
    max_samples: int = _checks.MAX_SAMPLES,
) -> Trial:
    """Read a Trial that :func:`write_trial` wrote to ``.parquet`` (``parquet`` extra).

    Every float column but ``time`` becomes a channel with the unit of its field metadata, values
    unchanged; the Trial's metadata and status come back from the schema metadata, except the keys
    every reader sets itself (``source`` = this file's name, ``path``, ``format="parquet"``,
    ``rate_hz``, ``original_channels``); ``metadata`` entries win. A column without a unit, a
    missing ``time`` column, NaN gaps, a file above ``max_bytes`` or a table longer than
    ``max_samples`` rows raise :class:`~myoreflex.errors.RecordingError`.

    Examples
    --------
    >>> import tempfile
    >>> from myoreflex.trial import Channel
    >>> t = np.linspace(0.0, 1.0, 11)
    >>> path = write_trial(Trial(t, {"torque": Channel(2 * t, "N m")}), Path(tempfile.mkdtemp()) / "t.parquet")
    >>> back = read_parquet(path)
    >>> back.unit("torque"), bool(np.all(back["torque"] == 2 * t)), back.format
    ('N m', True, 'parquet')
    """
    require_extra("pyarrow", "parquet")
    from pyarrow import parquet

    path = _checks.check_file(path)
    _checks.check_limits(path, max_bytes, max_samples)
    _checks.check_size(path, max_bytes)
    try:
        handle = parquet.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001  pyarrow raises ArrowInvalid, OSError, ... for a damaged file
        raise fail(path, None, "a Parquet file", f"{type(exc).__name__}: {exc}") from None
    _checks.check_samples(path, handle.metadata.num_rows, max_samples, "rows")
    table = handle.read()
    fields = {field.name: field for field in table.schema}
    if "time" not in fields:
        raise fail(path, "time", "a `time` column (s)", f"columns {list(fields)}")
    stored = json.loads((table.schema.metadata or {}).get(_SCHEMA_KEY, b"{}"))
    channels, originals = {}, {}
    for name, field in fields.items():
        unit = (field.metadata or {}).get(b"unit")
        if unit is None:
            raise fail(path, name, "a unit in the column's field metadata (as write_trial writes it)", "none")
        values = table.column(name).to_numpy(zero_copy_only=False).astype(float)
        if name == "time":
            time = values
            if unit != b"s":
                raise fail(path, name, "time in s", unit.decode())
            continue
        channels[name] = (values, unit.decode())
        originals[name] = _checks.original(name, unit.decode(), 1.0)
    originals["time"] = _checks.original("time", "s", 1.0)
    kept = {k: v for k, v in stored.get("metadata", {}).items() if k not in _READER_KEYS}
    trial = _checks.build_trial(path, time, channels, originals, {**kept, "format": "parquet"}, extra=metadata)
    status = stored.get("status", "OK")
    return dataclasses.replace(trial, status=Status[status]) if status in Status.__members__ else trial


# --- the verb ---------------------------------------------------------------------------------------

WRITERS = Registry("trial writer", {".csv": _write_csv, ".mot": _write_mot, ".parquet": _write_parquet},
                   error=ParameterError)
"""The writer of each file suffix (lower case): ``writer(trial, temporary_path, final_path)``."""


def write_trial(trial: Trial, path: str | Path, *, channels: Sequence[str] | None = None) -> Path:
    """Write ``trial`` to ``path`` in the format of its suffix (table in the module doc); return the path.

    Parameters
    ----------
    trial : the Trial.
    path : ``.csv``, ``.mot`` or ``.parquet``; its folder must exist. The Trial's own source file
        (``metadata["path"]``) is refused as an output.
    channels : the channels to write (default: all of them); e.g. ``["angle", "torque"]`` for a
        ``.mot`` of a simulation that also recorded spindle rates.

    Raises
    ------
    OutputError
        An unknown suffix, a missing or read-only folder, a directory, the Trial's source file; a
        full disk while writing (nothing is left half-written).
    RecordingError
        A channel the format cannot carry so that the reader gives it back (the message names it).

    Examples
    --------
    >>> import tempfile
    >>> from myoreflex.io import read_trial
    >>> from myoreflex.trial import Channel
    >>> t = np.linspace(0.0, 1.0, 11)
    >>> trial = Trial(t, {"angle": Channel(np.sin(t), "rad"), "torque": Channel(0.1 * t, "N m")},
    ...               {"joint": "knee", "side": "right"})
    >>> path = write_trial(trial, Path(tempfile.mkdtemp()) / "knee.csv")
    >>> path.read_text().splitlines()[1]
    'time_s,knee_angle_r_rad,torque_Nm'
    >>> back = read_trial(path)
    >>> bool(np.all(back["angle"] == trial["angle"])), back.unit("torque"), back.joint, back.side
    (True, 'N m', 'knee', 'right')
    """
    if not isinstance(trial, Trial):
        raise ParameterError(describe("write_trial: trial", "a myoreflex Trial", type(trial).__name__))
    path = check_output(path, inputs=[trial.metadata.get("path")] if trial.metadata.get("path") else [],
                        suffixes=tuple(WRITERS), what="trial")
    if channels is not None:
        if isinstance(channels, str):
            channels = [channels]
        missing = [name for name in channels if name not in trial.channels]
        if missing:
            raise RecordingError(describe(f"`{trial.source}`, channels {missing}",
                                          f"channels of the Trial ({', '.join(trial.channels)})", "no such channel"))
        trial = dataclasses.replace(trial, channels={name: trial.channel(name) for name in channels})
    writer: Callable[[Trial, Path, Path], None] = WRITERS.lookup(path.suffix.lower())
    with atomic_path(path) as temporary:
        writer(trial, temporary, path)
    return path


__all__ = ["CSV_SUFFIXES", "OPENSIM_COORDINATES", "WRITERS", "csv_columns", "csv_read_options",
           "mot_read_options", "read_parquet", "write_trial"]
