"""Read OpenSim storage files (``.mot``, ``.sto``): kinematics, inverse-dynamics moments, EMG.

Format: an optional name or path on the first line, ``key=value`` header lines (``version``,
``nRows``, ``nColumns``, ``inDegrees``) and free text up to a line ``endheader``; then one line of
column labels and one row per sample, tab or space separated. ``inDegrees=yes`` means that the
*rotational* coordinates are in degrees; everything else is SI (OpenSim writes "Units are S.I.
units").

How each column becomes a channel (OpenSim storage has no per-column units, so the rule goes by the
OpenSim naming conventions and is written here, never guessed per file):

- the first column, ``time`` (any case): the time vector, s;
- EMG columns (``emg_columns``; by default every column of a file whose name (the last part of
  the first line's path, or the file name) contains "emg"): ``emg_<label lower case>`` in
  ``emg_unit`` (V unless told otherwise);
- ``*_moment`` / ``*_torque``: N m; ``*_force``: N; ``*_tx``, ``*_ty``, ``*_tz``: translational
  coordinates, m;
- every other column is a rotational coordinate: rad (converted from degrees when
  ``inDegrees=yes``).

Channels keep their column label as name. ``angle_channel=`` additionally exposes one coordinate
as ``angle`` (and its ``<coordinate>_moment`` as ``torque``, when present), times ``angle_sign``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from myoreflex.io import _checks
from myoreflex.io._checks import Conversion, fail
from myoreflex.trial import Trial
from myoreflex.units import DEG

_TRANSLATION = re.compile(r".*_t[xyz]")
_SIDE = re.compile(r".*_(l|r)")


MAX_BYTES = _checks.MAX_BYTES
"""Largest .mot/.sto file :func:`read_opensim` reads by default (256 MiB); ``max_bytes=`` overrides it."""
MAX_SAMPLES = _checks.MAX_SAMPLES
"""Most data rows :func:`read_opensim` reads by default (10 million); ``max_samples=`` overrides it."""
_CHUNK_ROWS = 1 << 16


def _declared(path: Path, header: Mapping[str, str], key: str) -> int | None:
    if key not in header:
        return None
    try:
        return int(header[key])
    except ValueError:
        raise fail(path, None, f"an integer {key} in the header", header[key]) from None


def _cells(path: Path, labels: list[str], lines: list[str], first_row: int) -> np.ndarray:
    """The slow path of a chunk NumPy refused: the first cell that is not a number is named."""
    values = np.empty((len(lines), len(labels)))
    for i, line in enumerate(lines):
        for j, cell in enumerate(line.split()):
            try:
                values[i, j] = float(cell)
            except ValueError:
                raise fail(path, labels[j], "numbers", f"{cell!r} in data row {first_row + i} (corrupt file)") from None
    return values


def _parse(path: Path, max_samples: int) -> tuple[str, dict[str, str], list[str], np.ndarray]:
    """First line, header keys, column labels and the data as a ``(columns, rows)`` array.

    The file is read line by line and parsed in chunks of rows straight into NumPy (memory about
    3x the file); ``nRows`` above ``max_samples`` is refused before any data row is read.
    """
    lines = _checks.text_lines(path, "an OpenSim text file", encoding="utf-8")
    header: dict[str, str] = {}
    name = ""
    for i, line in enumerate(lines):
        if line.strip().lower() == "endheader":
            break
        key, sep, value = line.partition("=")
        if sep and key.strip() and " " not in key.strip():
            header[key.strip()] = value.strip()
        elif i == 0:
            name = line.strip()
    else:
        raise fail(
            path,
            None,
            "an OpenSim header ending with a line `endheader`",
            "no endheader (truncated, or not a .mot/.sto)",
        )
    declared_rows = _declared(path, header, "nRows")
    declared_columns = _declared(path, header, "nColumns")
    if declared_rows is not None:
        _checks.check_samples(path, declared_rows, max_samples, "data rows (nRows in the header)")
    labels_line = next((line for line in lines if line.strip()), None)
    if labels_line is None:
        raise fail(path, None, "a line of column labels after endheader", "nothing (truncated file)")
    parts = labels_line.split("\t") if "\t" in labels_line else labels_line.split()
    labels = [label.strip() for label in parts if label.strip()]
    width = len(labels)
    chunks: list[np.ndarray] = []
    pending: list[str] = []
    rows = 0

    def flush():
        parsed = _checks.parse_chunk(pending, None, None)
        if parsed is None or parsed.shape[1] != width:
            counts = [len(line.split()) for line in pending]
            bad = next((k for k, count in enumerate(counts) if count != width), None)
            if bad is not None:
                row = rows - len(pending) + bad + 1
                last = row == rows and not any(rest.strip() for rest in lines)
                state = "the last row (truncated file)" if last else f"data row {row} (corrupt file)"
                raise fail(path, None, f"{width} values per row (one per label)", f"{counts[bad]} in {state}")
            parsed = _cells(path, labels, pending, rows - len(pending) + 1)
        chunks.append(parsed)
        pending.clear()

    for line in lines:
        if not line.strip():
            continue
        rows += 1
        _checks.check_samples(path, rows, max_samples, "data rows")
        pending.append(line)
        if len(pending) >= _CHUNK_ROWS:
            flush()
    if pending:
        flush()
    if not rows:
        raise fail(path, None, "data rows after the column labels", "none (truncated file)")
    values = _checks.stack_columns(chunks, width)
    for key, declared, count in (("nRows", declared_rows, rows), ("nColumns", declared_columns, width)):
        if declared is not None and declared != count:
            state = "truncated file" if count < declared else "corrupt header"
            raise fail(path, None, f"{key}={declared} as declared in the header", f"{count} ({state})")
    return name, header, labels, values


def _in_degrees(path: Path, header: Mapping[str, str], override: bool | None) -> bool | None:
    if override is not None:
        return override
    value = header.get("inDegrees")
    if value is None:
        return None
    flag = value.strip().lower()
    if flag not in ("yes", "no"):
        raise fail(path, None, "inDegrees=yes or inDegrees=no", f"inDegrees={value}")
    return flag == "yes"


def read_opensim(
    path: str | Path,
    *,
    angle_channel: str | None = None,
    joint: str | None = None,
    angle_sign: float = 1.0,
    emg_columns: Sequence[str] | Literal["all"] | None = None,
    emg_unit: str = "V",
    in_degrees: bool | None = None,
    conversions: Mapping[str, Conversion] | None = None,
    check_angle_units: bool = True,
    metadata: Mapping[str, Any] | None = None,
    max_bytes: int = MAX_BYTES,
    max_samples: int = MAX_SAMPLES,
) -> Trial:
    """Read an OpenSim ``.mot`` / ``.sto`` file; every column becomes a channel (rules in the module doc).

    Parameters
    ----------
    path : the file.
    angle_channel : a coordinate label (``knee_angle_r``) to expose also as ``angle`` (rad) and,
        when the file has ``<coordinate>_moment``, that moment as ``torque`` (N m); both times
        ``angle_sign``. Its side (``_l``/``_r``) goes to the metadata.
    joint : metadata ``joint``; default: the coordinate label before ``_angle`` / ``_flexion``.
    angle_sign : -1 turns OpenSim's sign into the myoreflex one where they differ (OpenSim's knee
        angle is negative in flexion, myoreflex's knee angle positive in flexion).
    emg_columns : labels holding EMG, ``"all"``, or None for the default rule (module doc).
    emg_unit : the unit of the EMG columns (``V``, ``mV``, ``uV``).
    in_degrees : overrides the header's ``inDegrees``; needed when the header lacks it and the file
        has rotational coordinates (or give the coordinate's unit in ``conversions``).
    conversions : ``{label or channel: Conversion(scale, offset, unit)}``: the column's values
        become ``value * scale + offset`` in ``unit`` (None: the unit of the rules above), which
        must be of the column's quantity (an angle for a coordinate, a torque for a moment, ...);
        ``angle`` and ``torque`` name the ``angle_channel`` coordinate and its moment.
    check_angle_units : reject a degree-declared ``angle_channel`` that looks like radians, or a
        radian-declared one beyond a full turn (rule in :mod:`myoreflex.io._checks`).
    metadata : extra metadata entries.
    max_bytes : the largest file read (default :data:`MAX_BYTES`, 256 MiB).
    max_samples : the most data rows read (default :data:`MAX_SAMPLES`, 10 million), checked
        against the header's ``nRows`` before any row is read.

    Returns
    -------
    Trial; metadata holds ``header`` (the key=value lines), ``name`` (first line), ``in_degrees``,
    ``original_channels``, ``rate_hz`` and ``source``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "pendulum_IK.mot"
    >>> rows = "0.0\\t-10\\n0.01\\t-20\\n0.02\\t-35\\n"
    >>> _ = path.write_text("inDegrees=yes\\nendheader\\ntime\\tknee_angle_r\\n" + rows)
    >>> trial = read_opensim(path, angle_channel="knee_angle_r", angle_sign=-1)
    >>> trial.side, trial.joint, trial.unit("angle"), round(float(trial["angle"][-1]), 4)
    ('right', 'knee', 'rad', 0.6109)
    """
    path = _checks.check_file(path)
    _checks.check_limits(path, max_bytes, max_samples)
    conversions = _checks.check_conversions(conversions)
    _checks.check_size(path, max_bytes)
    name, header, labels, values = _parse(path, max_samples)
    if labels[0].lower() != "time":
        raise fail(path, labels[0], "`time` as the first column", labels[0])
    if len(set(labels)) != len(labels):
        dupes = sorted({label for label in labels if labels.count(label) > 1})
        got = f"{labels.count(dupes[0])} columns with this label"
        raise fail(path, dupes[0], "unique column labels", got)
    used_keys: set[str] = set()
    time_conversion = _checks.pick_conversion(conversions, used_keys, labels[0], "time")
    time = values[0]
    time_factor = 1.0
    if time_conversion is not None:
        time_conversion.apply(time, inplace=True)
        if time_conversion.unit is not None:
            _, time_factor, dim = _checks.require_unit(path, labels[0], time_conversion.unit)
            if dim != "time":
                raise fail(path, labels[0], "a time unit (s or ms)", time_conversion.unit)
            time *= time_factor
    _checks.check_time(path, labels[0], time)

    data_labels = labels[1:]
    if emg_columns is None:
        name_tail = re.split(r"[\\/]", name)[-1]
        is_emg = "emg" in name_tail.lower() or "emg" in path.name.lower()
        emg = set(data_labels) if is_emg else set()
    elif emg_columns == "all":
        emg = set(data_labels)
    else:
        emg = set(emg_columns)
        for label in emg:
            if label not in data_labels:
                raise fail(path, label, f"one of the columns {data_labels}", "no such column (asked as EMG)")
    emg_si, emg_factor, emg_dim = _checks.require_unit(path, "emg_unit", emg_unit)
    if emg and emg_dim != "voltage":
        raise fail(path, "emg_unit", "a voltage unit (V, mV, uV)", emg_unit)

    moment_label = None
    if angle_channel is not None:
        wanted = f"{angle_channel.lower()}_moment"
        moment_label = next((label for label in data_labels if label.lower() == wanted), None)
        if angle_channel not in data_labels and moment_label is None:
            raise fail(
                path,
                angle_channel,
                f"a coordinate (or its _moment) among {data_labels}",
                "no such column (asked as angle_channel=)",
            )

    degrees = _in_degrees(path, header, in_degrees)
    channels, originals = {}, {}
    units: dict[str, str] = {}  # label -> SI unit of its channel
    rotational = []
    for j, label in enumerate(data_labels, start=1):
        lower = label.lower()
        role = "angle" if label == angle_channel else "torque" if label == moment_label else None
        if label in emg:
            channel = f"emg_{_checks.sanitise_name(label)}"
            unit, factor, label_unit, dim = emg_si, emg_factor, emg_unit, "voltage"
        elif lower.endswith(("_moment", "_torque")):
            channel, unit, factor, label_unit, dim = label, "N m", 1.0, "N m", "torque"
        elif lower.endswith("_force"):
            channel, unit, factor, label_unit, dim = label, "N", 1.0, "N", "force"
        elif _TRANSLATION.fullmatch(lower):
            channel, unit, factor, label_unit, dim = label, "m", 1.0, "m", "length"
        else:
            rotational.append(label)
            channel, unit, dim = label, "rad", "angle"
            factor, label_unit = (DEG, "deg") if degrees else (1.0, "rad")
        conversion = _checks.pick_conversion(conversions, used_keys, label, channel, role)
        if dim == "angle" and degrees is None and (conversion is None or conversion.unit is None):
            raise fail(
                path,
                label,
                "inDegrees=yes or no in the header for a rotational coordinate",
                "no inDegrees line",
                "pass in_degrees=True or False",
            )
        column = values[j]
        if conversion is not None:
            conversion.apply(column, inplace=True)
            if conversion.unit is not None:
                target = role or dim
                if target in ("angle", "torque"):
                    unit, factor = _checks.require_quantity(path, label, target, conversion.unit, target)
                else:
                    unit, factor, got = _checks.require_unit(path, label, conversion.unit)
                    if got != dim:
                        raise fail(path, label, f"a {dim} unit for this column", conversion.unit)
                label_unit = conversion.unit
        if label == angle_channel and dim == "angle" and check_angle_units:
            if abs(factor - DEG) < 1e-12:
                _checks.check_declared_degrees(path, angle_channel, column)
            elif factor == 1.0:
                _checks.check_declared_radians(path, angle_channel, column)
        if channel in channels:
            raise fail(path, label, "labels that give distinct channel names", f"a second `{channel}`")
        column *= factor
        channels[channel] = (column, unit)
        units[label] = unit
        total = (conversion.scale if conversion else 1.0) * factor
        offset = (conversion.offset if conversion else 0.0) * factor
        originals[channel] = _checks.original(label, label_unit, total, offset,
                                              **_checks.conversion_record(conversion))
    originals["time"] = _checks.original(labels[0], "s", (time_conversion.scale if time_conversion else 1.0)
                                         * time_factor, (time_conversion.offset if time_conversion else 0.0)
                                         * time_factor, **_checks.conversion_record(time_conversion))
    _checks.check_all_used(path, conversions, used_keys, [*labels, *channels])

    meta: dict[str, Any] = {"format": "opensim", "name": name, "header": dict(header), "in_degrees": degrees}
    if angle_channel is not None:
        if angle_channel in data_labels:
            if angle_channel not in rotational:
                got = f"a column in {units[angle_channel]}" + (" (an EMG column)" if angle_channel in emg else "")
                raise fail(path, angle_channel, "a rotational coordinate", got)
            channels["angle"] = (channels[angle_channel][0] * angle_sign, "rad")
            scale = originals[angle_channel]["scale"] * angle_sign
            originals["angle"] = {**originals[angle_channel], "scale": scale}
            if "offset" in originals["angle"]:
                originals["angle"]["offset"] *= angle_sign
        if moment_label is not None:
            if units[moment_label] != "N m":
                got = f"a column in {units[moment_label]}" + (" (an EMG column)" if moment_label in emg else "")
                raise fail(path, moment_label, "a joint moment in N m (the torque of angle_channel)", got)
            channels["torque"] = (channels[moment_label][0] * angle_sign, "N m")
            originals["torque"] = {**originals[moment_label], "scale": originals[moment_label]["scale"] * angle_sign}
            if "offset" in originals["torque"]:
                originals["torque"]["offset"] *= angle_sign
        side = _SIDE.fullmatch(angle_channel.lower())
        if side:
            meta["side"] = {"l": "left", "r": "right"}[side.group(1)]
        meta["joint"] = re.split(r"_(?:angle|flexion|extension)", angle_channel.lower())[0]
        meta["angle_sign"] = angle_sign
    return _checks.build_trial(path, time, channels, originals, meta, joint=joint, extra=metadata)
