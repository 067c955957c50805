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
from myoreflex.io._checks import fail
from myoreflex.trial import Trial
from myoreflex.units import DEG

_TRANSLATION = re.compile(r".*_t[xyz]")
_SIDE = re.compile(r".*_(l|r)")


def _parse(path: Path) -> tuple[str, dict[str, str], list[str], np.ndarray]:
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise fail(path, None, "an OpenSim text file", f"undecodable bytes at offset {exc.start}") from None
    lines = text.splitlines()
    try:
        end = next(i for i, line in enumerate(lines) if line.strip().lower() == "endheader")
    except StopIteration:
        raise fail(
            path,
            None,
            "an OpenSim header ending with a line `endheader`",
            "no endheader (truncated, or not a .mot/.sto)",
        ) from None
    header: dict[str, str] = {}
    name = ""
    for i, line in enumerate(lines[:end]):
        key, sep, value = line.partition("=")
        if sep and key.strip() and " " not in key.strip():
            header[key.strip()] = value.strip()
        elif i == 0:
            name = line.strip()
    body = [line for line in lines[end + 1 :] if line.strip()]
    if not body:
        raise fail(path, None, "a line of column labels after endheader", "nothing (truncated file)")
    labels_line = body[0]
    parts = labels_line.split("\t") if "\t" in labels_line else labels_line.split()
    labels = [label.strip() for label in parts if label.strip()]
    rows = [line.split() for line in body[1:]]
    if not rows:
        raise fail(path, None, "data rows after the column labels", "none (truncated file)")
    for i, row in enumerate(rows):
        if len(row) != len(labels):
            last = i == len(rows) - 1
            state = "the last row (truncated file)" if last else f"data row {i + 1} (corrupt file)"
            raise fail(path, None, f"{len(labels)} values per row (one per label)", f"{len(row)} in {state}")
    try:
        values = np.array(rows, dtype=float)
    except ValueError:
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                try:
                    float(cell)
                except ValueError:
                    raise fail(
                        path, labels[j], "numbers", f"{cell!r} in data row {i + 1} (corrupt file)"
                    ) from None
        raise
    for key, count in (("nRows", values.shape[0]), ("nColumns", values.shape[1])):
        if key in header:
            try:
                declared = int(header[key])
            except ValueError:
                raise fail(path, None, f"an integer {key} in the header", header[key]) from None
            if declared != count:
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
    check_angle_units: bool = True,
    metadata: Mapping[str, Any] | None = None,
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
        has rotational coordinates.
    check_angle_units : reject a degree-declared ``angle_channel`` that looks like radians, or a
        radian-declared one beyond a full turn (rule in :mod:`myoreflex.io._checks`).
    metadata : extra metadata entries.

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
    name, header, labels, values = _parse(path)
    if labels[0].lower() != "time":
        raise fail(path, labels[0], "`time` as the first column", labels[0])
    if len(set(labels)) != len(labels):
        dupes = sorted({label for label in labels if labels.count(label) > 1})
        got = f"{labels.count(dupes[0])} columns with this label"
        raise fail(path, dupes[0], "unique column labels", got)
    time = values[:, 0]
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

    degrees = _in_degrees(path, header, in_degrees)
    channels, originals = {}, {}
    rotational = []
    for j, label in enumerate(data_labels, start=1):
        lower = label.lower()
        if label in emg:
            channel = f"emg_{_checks.sanitise_name(label)}"
            unit, factor, label_unit = emg_si, emg_factor, emg_unit
        elif lower.endswith(("_moment", "_torque")):
            channel, unit, factor, label_unit = label, "N m", 1.0, "N m"
        elif lower.endswith("_force"):
            channel, unit, factor, label_unit = label, "N", 1.0, "N"
        elif _TRANSLATION.fullmatch(lower):
            channel, unit, factor, label_unit = label, "m", 1.0, "m"
        else:
            rotational.append(label)
            if degrees is None:
                raise fail(
                    path,
                    label,
                    "inDegrees=yes or no in the header for a rotational coordinate",
                    "no inDegrees line",
                    "pass in_degrees=True or False",
                )
            channel, unit = label, "rad"
            factor, label_unit = (DEG, "deg") if degrees else (1.0, "rad")
        if channel in channels:
            raise fail(path, label, "labels that give distinct channel names", f"a second `{channel}`")
        channels[channel] = (values[:, j] * factor, unit)
        originals[channel] = _checks.original(label, label_unit, factor)
    originals["time"] = _checks.original(labels[0], "s", 1.0)

    meta: dict[str, Any] = {"format": "opensim", "name": name, "header": dict(header), "in_degrees": degrees}
    if angle_channel is not None:
        moment_label = f"{angle_channel.lower()}_moment"
        moment = next((label for label in data_labels if label.lower() == moment_label), None)
        if angle_channel not in data_labels and moment is None:
            raise fail(
                path,
                angle_channel,
                f"a coordinate (or its _moment) among {data_labels}",
                "no such column (asked as angle_channel=)",
            )
        if angle_channel in data_labels:
            if angle_channel not in rotational:
                got = f"a column in {channels[angle_channel][1]}"
                raise fail(path, angle_channel, "a rotational coordinate", got)
            j = labels.index(angle_channel)
            if check_angle_units and degrees:
                _checks.check_declared_degrees(path, angle_channel, values[:, j])
            elif check_angle_units:
                _checks.check_declared_radians(path, angle_channel, values[:, j])
            channels["angle"] = (channels[angle_channel][0] * angle_sign, "rad")
            scale = originals[angle_channel]["scale"] * angle_sign
            originals["angle"] = {**originals[angle_channel], "scale": scale}
        if moment is not None:
            channels["torque"] = (channels[moment][0] * angle_sign, "N m")
            originals["torque"] = {**originals[moment], "scale": angle_sign}
        side = _SIDE.fullmatch(angle_channel.lower())
        if side:
            meta["side"] = {"l": "left", "r": "right"}[side.group(1)]
        meta["joint"] = re.split(r"_(?:angle|flexion|extension)", angle_channel.lower())[0]
        meta["angle_sign"] = angle_sign
    return _checks.build_trial(path, time, channels, originals, meta, joint=joint, extra=metadata)
