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
- ``<coordinate>_speed``: that coordinate's speed, rad/s (deg/s when ``inDegrees=yes``; m/s for a
  translational one), exposed as ``angular_velocity`` with ``angle_channel``;
- every other column is a rotational coordinate: rad (converted from degrees when
  ``inDegrees=yes``).

OpenSim 4 tables (Moco solutions, ``StatesTrajectory`` and ``TableReporter`` exports) label each
column with the path of the component it belongs to. Those labels follow these rules instead
(the state and control names of OpenSim 4's ``Coordinate`` and muscles, e.g.
``DeGrooteFregly2016Muscle``, ``Millard2012EquilibriumMuscle``; Dembia et al. 2020, doi
10.1371/journal.pcbi.1008493):

========================================================  ========================  ==============
label                                                     channel                   unit (SI)
========================================================  ========================  ==============
``/jointset/<joint>/<coord>/value``                       ``<coord>``               rad (m for
                                                                                    ``*_t[xyz]``)
``/jointset/<joint>/<coord>/speed``                       ``<coord>_speed``         rad/s (m/s)
``/jointset/<joint>/<coord>/accel``                       ``<coord>_accel``         rad/s^2 (m/s^2)
``/forceset/<muscle>/activation``                         ``activation_<muscle>``   1
``/forceset/<muscle>/normalized_tendon_force``            ``tendon_force_norm_<m>`` 1
``/forceset/<muscle>/fiber_length``                       ``fibre_length_<muscle>`` m
``/forceset/<muscle>/implicitderiv_normalized_tendon_...  ``tendon_force_norm_rate_  1/s
                                                          <muscle>``
``/forceset/<actuator>`` (a control: excitation)          ``control_<actuator>``    1
========================================================  ========================  ==============

``inDegrees=yes`` turns rotational values into degrees and speeds into deg/s (accelerations into
deg/s^2); Moco writes ``inDegrees=no``. Any other path label, and the Lagrange multipliers and
slack variables of a Moco solution (``lambda_*``, ``gamma_*`` in a file with path labels), have no
unit in the file: they are left out and listed in ``metadata["skipped_columns"]`` (units are
never guessed).

Channels keep their column label as name (the coordinate name for path labels). ``angle_channel=``
additionally exposes one coordinate as ``angle`` (and its ``<coordinate>_moment`` as ``torque``,
its ``/speed`` as ``angular_velocity``, when present), times ``angle_sign``; for an OpenSim 4
table it is the coordinate name (``knee_angle_r``) or the full label.
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
_COORDINATE_PATH = re.compile(r"/jointset/(?P<joint>[^/]+)/(?P<coordinate>[^/]+)/(?P<variable>value|speed|accel)")
_FORCESET_PATH = re.compile(r"/forceset/(?P<actuator>[^/]+)(?:/(?P<variable>[^/]+))?")

#: OpenSim 4 muscle state variable -> (channel prefix, SI unit, dimension)
MUSCLE_STATES = {
    "activation": ("activation", "1", "dimensionless"),
    "normalized_tendon_force": ("tendon_force_norm", "1", "dimensionless"),
    "fiber_length": ("fibre_length", "m", "length"),
    "implicitderiv_normalized_tendon_force": ("tendon_force_norm_rate", "1/s", "rate"),
}


def opensim4_column(label: str, degrees: bool | None) -> tuple[str, str, float, str, str] | None:
    """``(channel, SI unit, factor to SI, file unit, dimension)`` of an OpenSim 4 path label such as
    ``/jointset/knee_r/knee_angle_r/speed``, or None for a label the rules do not cover (module
    doc). ``degrees``: the header's ``inDegrees`` (None: not given, read as radians)."""
    match = _COORDINATE_PATH.fullmatch(label)
    if match:
        coordinate, variable = match.group("coordinate"), match.group("variable")
        channel = coordinate if variable == "value" else f"{coordinate}_{variable}"
        rate = {"value": "", "speed": "/s", "accel": "/s^2"}[variable]
        dimension = {"value": "angle", "speed": "angular_velocity", "accel": "angular_acceleration"}[variable]
        if _TRANSLATION.fullmatch(coordinate.lower()):
            linear = {"value": "length", "speed": "velocity", "accel": "acceleration"}[variable]
            return channel, "m" + rate, 1.0, "m" + rate, linear
        factor, unit = (DEG, "deg") if degrees else (1.0, "rad")
        return channel, "rad" + rate, factor, unit + rate, dimension
    match = _FORCESET_PATH.fullmatch(label)
    if match:
        actuator, variable = match.group("actuator"), match.group("variable")
        if variable is None:
            return f"control_{actuator}", "1", 1.0, "1", "dimensionless"
        if variable in MUSCLE_STATES:
            prefix, unit, dimension = MUSCLE_STATES[variable]
            return f"{prefix}_{actuator}", unit, 1.0, unit, dimension
    return None


def _coordinate_label(labels: Sequence[str], wanted: str) -> str | None:
    """The column of coordinate ``wanted``: the label itself, or ``/jointset/*/<wanted>/value``."""
    if wanted in labels:
        return wanted
    return next((label for label in labels if (m := _COORDINATE_PATH.fullmatch(label))
                 and m.group("coordinate") == wanted and m.group("variable") == "value"), None)


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
        when the file has ``<coordinate>_moment``, that moment as ``torque`` (N m), and in an
        OpenSim 4 table (``/jointset/<joint>/knee_angle_r/value``; the coordinate name or the full
        label) its ``/speed`` as ``angular_velocity`` (rad/s); all times ``angle_sign``. Its side
        (``_l``/``_r``) goes to the metadata.
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
        ``angle``, ``angular_velocity`` and ``torque`` name the ``angle_channel`` coordinate, its
        speed and its moment.
    check_angle_units : reject a degree-declared ``angle_channel`` that looks like radians, or a
        radian-declared one beyond a full turn (rule in :mod:`myoreflex.io._checks`).
    metadata : extra metadata entries.
    max_bytes : the largest file read (default :data:`MAX_BYTES`, 256 MiB).
    max_samples : the most data rows read (default :data:`MAX_SAMPLES`, 10 million), checked
        against the header's ``nRows`` before any row is read.

    Returns
    -------
    Trial; metadata holds ``header`` (the key=value lines), ``name`` (first line), ``in_degrees``,
    ``original_channels``, ``rate_hz``, ``source`` and, when columns were left out (OpenSim 4 labels
    without a known unit), ``skipped_columns`` (``{label: reason}``).

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
        emg = {label for label in data_labels if not label.startswith("/")} if is_emg else set()
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

    moment_label = angle_label = speed_label = None
    coordinate = angle_channel
    path_labels = any(label.startswith("/") for label in data_labels)
    if angle_channel is not None:
        angle_label = _coordinate_label(data_labels, angle_channel)
        found = _COORDINATE_PATH.fullmatch(angle_label or "")
        if found:
            coordinate = found.group("coordinate")
            speed_label = angle_label[: -len("value")] + "speed"
            speed_label = speed_label if speed_label in data_labels else None
        elif angle_label is not None:  # a plain coordinate column and, when written, its <coordinate>_speed
            speed_label = next((label for label in data_labels if label.lower() == f"{angle_label.lower()}_speed"), None)
        wanted = f"{coordinate.lower()}_moment"
        moment_label = next((label for label in data_labels if label.lower() == wanted), None)
        if angle_label is None and moment_label is None:
            names = [(m.group("coordinate") if (m := _COORDINATE_PATH.fullmatch(label))
                      and m.group("variable") == "value" else label) for label in data_labels
                     if not label.startswith("/") or label.endswith("/value")]
            raise fail(
                path,
                angle_channel,
                f"a coordinate (or its _moment) among {names}",
                "no such column (asked as angle_channel=)",
            )

    degrees = _in_degrees(path, header, in_degrees)
    channels, originals = {}, {}
    units: dict[str, str] = {}  # label -> SI unit of its channel
    channel_of: dict[str, str] = {}  # label -> its channel
    skipped: dict[str, str] = {}
    for j, label in enumerate(data_labels, start=1):
        lower = label.lower()
        role = {angle_label: "angle", moment_label: "torque", speed_label: "angular_velocity"}.get(label)
        if label.startswith("/") or (path_labels and re.fullmatch(r"(lambda|gamma)_.*", lower)):
            described = opensim4_column(label, degrees)
            if described is None:
                skipped[label] = "an OpenSim 4 label without a known unit (not a coordinate or muscle state)"
                continue
            channel, unit, factor, label_unit, dim = described
        elif label in emg:
            channel = f"emg_{_checks.sanitise_name(label)}"
            unit, factor, label_unit, dim = emg_si, emg_factor, emg_unit, "voltage"
        elif lower.endswith(("_moment", "_torque")):
            channel, unit, factor, label_unit, dim = label, "N m", 1.0, "N m", "torque"
        elif lower.endswith("_force"):
            channel, unit, factor, label_unit, dim = label, "N", 1.0, "N", "force"
        elif _TRANSLATION.fullmatch(lower):
            channel, unit, factor, label_unit, dim = label, "m", 1.0, "m", "length"
        elif lower.endswith("_speed") and _TRANSLATION.fullmatch(lower.removesuffix("_speed")):
            channel, unit, factor, label_unit, dim = label, "m/s", 1.0, "m/s", "velocity"
        elif lower.endswith("_speed"):  # a coordinate's speed column (as write_trial writes it)
            channel, unit, dim = label, "rad/s", "angular_velocity"
            factor, label_unit = (DEG, "deg/s") if degrees else (1.0, "rad/s")
        else:
            channel, unit, dim = label, "rad", "angle"
            factor, label_unit = (DEG, "deg") if degrees else (1.0, "rad")
        conversion = _checks.pick_conversion(conversions, used_keys, label, channel, role)
        if (dim in ("angle", "angular_velocity", "angular_acceleration") and degrees is None
                and (conversion is None or conversion.unit is None)):
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
                if target in ("angle", "torque", "angular_velocity"):
                    unit, factor = _checks.require_quantity(path, label, target, conversion.unit, target)
                else:
                    unit, factor, got = _checks.require_unit(path, label, conversion.unit)
                    if got != dim:
                        raise fail(path, label, f"a {dim} unit for this column", conversion.unit)
                label_unit = conversion.unit
        if label == angle_label and dim == "angle" and check_angle_units:
            if abs(factor - DEG) < 1e-12:
                _checks.check_declared_degrees(path, label, column)
            elif factor == 1.0:
                _checks.check_declared_radians(path, label, column)
        if channel in channels:
            raise fail(path, label, "labels that give distinct channel names", f"a second `{channel}`")
        column *= factor
        channels[channel] = (column, unit)
        units[label] = unit
        channel_of[label] = channel
        total = (conversion.scale if conversion else 1.0) * factor
        offset = (conversion.offset if conversion else 0.0) * factor
        originals[channel] = _checks.original(label, label_unit, total, offset,
                                              **_checks.conversion_record(conversion))
    originals["time"] = _checks.original(labels[0], "s", (time_conversion.scale if time_conversion else 1.0)
                                         * time_factor, (time_conversion.offset if time_conversion else 0.0)
                                         * time_factor, **_checks.conversion_record(time_conversion))
    _checks.check_all_used(path, conversions, used_keys, [*labels, *channels])

    meta: dict[str, Any] = {"format": "opensim", "name": name, "header": dict(header), "in_degrees": degrees}
    if skipped:
        meta["skipped_columns"] = skipped
    if angle_channel is not None:
        for label, target, si_unit in ((angle_label, "angle", "rad"), (speed_label, "angular_velocity", "rad/s")):
            if label is None:
                continue
            if units.get(label) != si_unit:
                what = "a rotational coordinate" if target == "angle" else "the speed of a rotational coordinate"
                got = (f"a column in {units[label]}" if label in units else "a column without a known unit") + (
                    " (an EMG column)" if label in emg else "")
                raise fail(path, label, what, got)
            source = channel_of[label]
            channels[target] = (channels[source][0] * angle_sign, si_unit)
            originals[target] = {**originals[source], "scale": originals[source]["scale"] * angle_sign}
            if "offset" in originals[target]:
                originals[target]["offset"] *= angle_sign
        if moment_label is not None:
            if units[moment_label] != "N m":
                got = f"a column in {units[moment_label]}" + (" (an EMG column)" if moment_label in emg else "")
                raise fail(path, moment_label, "a joint moment in N m (the torque of angle_channel)", got)
            channels["torque"] = (channels[moment_label][0] * angle_sign, "N m")
            originals["torque"] = {**originals[moment_label], "scale": originals[moment_label]["scale"] * angle_sign}
            if "offset" in originals["torque"]:
                originals["torque"]["offset"] *= angle_sign
        side = _SIDE.fullmatch(coordinate.lower())
        if side:
            meta["side"] = {"l": "left", "r": "right"}[side.group(1)]
        meta["joint"] = re.split(r"_(?:angle|flexion|extension)", coordinate.lower())[0]
        meta["angle_sign"] = angle_sign
    return _checks.build_trial(path, time, channels, originals, meta, joint=joint, extra=metadata)
