"""Read a delimited text recording (CSV) with units in its column names.

Header convention
-----------------
One header line, then one row per sample; ``,`` ``;`` or tab separated (detected from the header);
blank lines and leading lines that start with ``#`` are ignored. Every column name ends with its
unit as a suffix, ``<quantity>_<unit>``:

=================================  ==================================  =====================
suffix (any case)                  example                             becomes (SI)
=================================  ==================================  =====================
``_s``, ``_ms``                    ``time_s``, ``time_ms``             the time vector, s
``_deg``, ``_rad``                 ``knee_angle_deg``                  ``angle``, rad
``_deg_s``, ``_rad_s``             ``angular_velocity_deg_s``          ``angular_velocity``
``_nm``, ``_n_m``, ``_nmm``        ``torque_Nm``, ``knee_moment_nm``   ``torque``, N m
``_n``                             ``force_n``, ``force_sol_n``        ``force[_<muscle>]``, N
``_v``, ``_mv``, ``_uv``           ``emg_sol_mV`` (``emg_mV``)         ``emg_<muscle>``, V
``_m``, ``_cm``, ``_mm``           ``marker_x_mm``                     (name kept), m
``_hz``, ``_pps``, ``_1``, ``_pct``  ``ia_sol_pps``, ``activation_1``    (name kept)
=================================  ==================================  =====================

Names are mapped onto the channel vocabulary of :mod:`myoreflex.trial`: ``[<joint>_]angle[_<side>]``
becomes ``angle`` (joint and side go to the metadata), ``[<joint>_][angular_]velocity[_<side>]``
becomes ``angular_velocity``, ``[<joint>_](torque|moment)[_<side>]`` becomes ``torque``, a bare
``emg_<unit>`` becomes ``emg_unnamed``; any other name is kept (lower case) with its value in SI.
A column whose unit suffix is not in :data:`myoreflex.io._checks.UNITS` is an error: units are never
guessed. Use ``columns=`` to name, unit and scale columns that do not follow the convention, and
``angle_channel=`` to pick the column that is the ``angle`` (the other angle columns then keep
their own names, e.g. ``hip_angle``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from myoreflex.io import _checks
from myoreflex.io._checks import fail
from myoreflex.trial import Trial

#: unit suffixes of column names, longest first so that ``_deg_s`` wins over ``_s``.
SUFFIXES = sorted(
    ["s", "ms", "deg", "rad", "deg_s", "rad_s", "deg_per_s", "rad_per_s", "nm", "n_m", "nmm", "n_mm", "n",
     "v", "mv", "uv", "µv", "m", "cm", "mm", "hz", "pps", "1", "pct"],
    key=len,
    reverse=True,
)

_SIDE = r"(?:_(?P<side>l|r|left|right))?"
_PATTERNS = {
    "angle": re.compile(r"(?:(?P<joint>.+?)_)??angle" + _SIDE),
    "angular_velocity": re.compile(r"(?:(?P<joint>.+?)_)??(?:angular_)?velocity" + _SIDE),
    "torque": re.compile(r"(?:(?P<joint>.+?)_)??(?:torque|moment)" + _SIDE),
}
_SIDES = {"l": "left", "r": "right", "left": "left", "right": "right"}

def split_unit_suffix(column: str) -> tuple[str, str] | None:
    """``(quantity, unit label)`` from a column name such as ``knee_angle_deg``; None without a unit."""
    lowered = column.strip().lower()
    for suffix in SUFFIXES:
        if lowered.endswith("_" + suffix) and len(lowered) > len(suffix) + 1:
            return lowered[: -len(suffix) - 1], suffix
    return None


def vocabulary_name(quantity: str, dimension: str) -> tuple[str, dict[str, str]]:
    """Channel name for a quantity of a given dimension, and joint/side found in the name."""
    if dimension in _PATTERNS:
        match = _PATTERNS[dimension].fullmatch(quantity)
        if match:
            found = {}
            if match.group("joint"):
                found["joint"] = match.group("joint")
            if match.group("side"):
                found["side"] = _SIDES[match.group("side")]
            return dimension, found
    if dimension == "voltage" and quantity == "emg":
        return "emg_unnamed", {}
    return quantity, {}


def _check_vocabulary(path, column: str, channel: str, si_unit: str) -> None:
    expected = _checks.VOCABULARY_UNITS.get(channel)
    if expected is None and channel.startswith("force_"):
        expected = "N"
    if expected is None and channel.startswith("emg_"):
        expected = "V" if si_unit != "1" else "1"
    if expected is not None and si_unit != expected:
        raise fail(
            path,
            column,
            f"a unit convertible to {expected} for channel `{channel}`",
            si_unit,
            "fix the unit suffix or map the column with columns={name: (channel, unit, scale)}",
        )


def _read_rows(path: Path, delimiter: str | None) -> tuple[list[str], list[list[str]], list[str], list[int]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        got = f"undecodable bytes at offset {exc.start}"
        raise fail(path, None, "UTF-8 text (a CSV file)", got) from None
    lines = text.splitlines()
    comments = []
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].lstrip().startswith("#")):
        if lines[start].strip():
            comments.append(lines[start].lstrip()[1:].strip())
        start += 1
    if start == len(lines):
        raise fail(path, None, "a header line and data rows", "no header (empty or comments only)")
    header_line = lines[start]
    if delimiter is None:
        counts = {d: header_line.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=counts.get) if max(counts.values()) else ","
    header = [name.strip().strip('"').strip("'") for name in header_line.split(delimiter)]
    while header and header[-1] == "":
        header.pop()
    rows, row_lines = [], []
    first_data_line = start + 2  # 1-based line number of the first data row
    data_lines = lines[start + 1 :]
    for offset, line in enumerate(data_lines):
        if not line.strip():
            continue
        fields = [field.strip() for field in line.split(delimiter)]
        while len(fields) > len(header) and fields[-1] == "":
            fields.pop()
        if len(fields) != len(header):
            is_last = all(not rest.strip() for rest in data_lines[offset + 1 :])
            line_number = first_data_line + offset
            state = "truncated file: the last row" if is_last else f"corrupt row at line {line_number}"
            expected = f"{len(header)} fields per row (as in the header)"
            raise fail(path, None, expected, f"{state} has {len(fields)}")
        rows.append(fields)
        row_lines.append(first_data_line + offset)
    if not rows:
        raise fail(path, None, "at least one data row after the header", "a header only")
    return header, rows, comments, row_lines


def _to_numbers(
    path: Path, header: list[str], rows: list[list[str]], lines: list[int], used: list[int]
) -> np.ndarray:
    """The used columns as floats (others stay NaN); empty cells become NaN, text is an error."""
    values = np.full((len(rows), len(header)), np.nan)
    cells = np.array(rows, dtype=str)[:, used]
    values[:, used] = _cells_to_numbers(path, [header[j] for j in used], cells, lines)
    return values


def _cells_to_numbers(path: Path, header: list[str], cells: np.ndarray, lines: list[int]) -> np.ndarray:
    try:
        return cells.astype(float)
    except ValueError:
        pass
    values = np.empty(cells.shape)
    for (i, j), cell in np.ndenumerate(cells):
        if cell == "" or cell.lower() in ("nan", "na", "null"):
            values[i, j] = np.nan
            continue
        try:
            values[i, j] = float(cell)
        except ValueError:
            raise fail(
                path, header[j], "a number in every cell", f"{str(cell)!r} at line {lines[i]} (corrupt file)"
            ) from None
    return values


def read_csv(
    path: str | Path,
    *,
    angle_channel: str | None = None,
    time_column: str | None = None,
    columns: Mapping[str, Any] | None = None,
    angle_sign: float = 1.0,
    torque_sign: float = 1.0,
    delimiter: str | None = None,
    joint: str | None = None,
    side: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    check_angle_units: bool = True,
) -> Trial:
    """Read a CSV recording whose column names carry their units (convention in the module doc).

    Parameters
    ----------
    path : the CSV file.
    angle_channel : the column exposed as ``angle`` (rad; its unit from its suffix, or from
        ``columns``); default: the column named ``[<joint>_]angle[_<side>]_<unit>``.
    time_column : the time column; default: the one named ``time_s`` or ``time_ms``.
    columns : ``{file column: (channel, unit)}`` or ``(channel, unit, scale)`` for columns that do not
        follow the convention (``value_in_unit = file_value * scale``), or ``None`` to drop a column.
        Example: ``{"Knee": ("angle", "deg"), "Biodex": ("torque", "N m", -144049.0)}``.
    angle_sign : multiplies ``angle`` and ``angular_velocity`` (use -1 to turn the file's sign
        convention into the myoreflex one: positive stretches the tested muscle).
    torque_sign : multiplies ``torque``.
    delimiter : ``","``, ``";"`` or ``"\\t"``; default: detected from the header line.
    joint, side : metadata; default: read from an angle column such as ``knee_angle_l_deg``.
    metadata : extra metadata entries.
    check_angle_units : reject degree columns that look like radians and vice versa (rule in
        :mod:`myoreflex.io._checks`).

    Returns
    -------
    Trial with channels in SI units; ``metadata["original_channels"][channel]`` gives the column
    name, its unit and the factor applied (``SI = file value * scale``).

    Raises
    ------
    RecordingError
        Empty, truncated or corrupt file; a column without a known unit; a missing mapped column;
        NaN gaps; time not strictly increasing; degrees that look like radians.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "pendulum.csv"
    >>> _ = path.write_text("time_s,knee_angle_l_deg,hip_angle_deg\\n0.00,10,90\\n0.01,12,90\\n0.02,15,90\\n")
    >>> trial = read_csv(path, angle_channel="knee_angle_l_deg")
    >>> trial.unit("angle"), trial.joint, trial.side, trial.rate_hz, sorted(trial.channels)
    ('rad', 'knee', 'left', 100.0, ['angle', 'hip_angle'])
    """
    path = _checks.check_file(path)
    header, rows, comments, row_lines = _read_rows(path, delimiter)
    columns = dict(columns or {})
    for name in columns:
        if name not in header:
            raise fail(path, name, f"a column of the file ({', '.join(header)})", "no such column")
    if angle_channel is not None and angle_channel not in header:
        raise fail(path, angle_channel, f"a column of the file ({', '.join(header)})",
                   "no such column (asked as angle_channel=)")
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise fail(path, dupes[0], "unique column names", f"{header.count(dupes[0])} columns with this name")

    if time_column is None:
        found = [h for h in header if h not in columns and (split_unit_suffix(h) or ("", ""))[0] == "time"]
        found += [h for h, spec in columns.items() if spec is not None and spec[0] == "time"]
        if len(found) != 1:
            raise fail(
                path,
                "time",
                "exactly one time column (time_s or time_ms)",
                f"{len(found)} in {header}",
                "name it with time_column=",
            )
        time_column = found[0]
    elif time_column not in header:
        raise fail(path, time_column, f"a column of the file ({', '.join(header)})", "no such column")

    # column -> (channel, SI unit, factor, unit label, dimension)
    specs: dict[str, tuple[str, str, float, str, str]] = {}
    found_meta: dict[str, str] = {}
    for column in header:
        if column in columns:
            spec = columns[column]
            if spec is None:
                continue
            if len(spec) not in (2, 3):
                raise fail(path, column, "a mapping (channel, unit) or (channel, unit, scale)", spec)
            channel, label = spec[0], spec[1]
            scale = float(spec[2]) if len(spec) == 3 else 1.0
            si_unit, factor, dim = _checks.require_unit(path, column, label)
            factor *= scale
            if column == time_column:
                channel = "time"
        else:
            split = split_unit_suffix(column)
            if split is None:
                raise fail(
                    path,
                    column,
                    "a unit suffix such as _deg, _rad, _nm, _n, _mv, _s (units are never guessed)",
                    "no recognisable unit",
                    "rename the column or map it with columns={name: (channel, unit)}",
                )
            quantity, label = split
            label = column.strip()[-len(label) :]  # the suffix as written, e.g. "Nm"
            si_unit, factor, dim = _checks.require_unit(path, column, label)
            quantity = re.sub(r"[^0-9a-z_]+", "_", quantity)
            channel, meta = vocabulary_name(quantity, dim)
            if angle_channel is not None and channel == "angle" and column != angle_channel:
                channel, meta = quantity, {}  # another angle: the one picked is the Trial's `angle`
            if column == time_column:
                channel = "time"
            for key, value in meta.items():
                if channel == "angle":
                    found_meta[key] = value
                else:
                    found_meta.setdefault(key, value)
        if column == angle_channel:
            if dim != "angle":
                raise fail(path, column, "an angle unit (deg or rad) for angle_channel", si_unit)
            channel = "angle"
        if channel == "time" and column != time_column:
            raise fail(path, column, f"one time column (`{time_column}`)", "a second time column")
        if column == time_column and dim != "time":
            raise fail(path, column, "a time unit (s or ms)", si_unit)
        if column != time_column:
            _check_vocabulary(path, column, channel, si_unit)
        specs[column] = (channel, si_unit, factor, label, dim)

    targets: dict[str, list[str]] = {}
    for column, (channel, *_) in specs.items():
        targets.setdefault(channel, []).append(column)
    for channel, sources in targets.items():
        if len(sources) > 1:
            raise fail(
                path,
                channel,
                "one column per channel",
                f"{len(sources)} columns ({', '.join(sources)})",
                "map or drop columns with columns={name: (channel, unit)} or {name: None}",
            )

    index = {name: j for j, name in enumerate(header)}
    values = _to_numbers(path, header, rows, row_lines, sorted(index[column] for column in specs))
    _, _, time_factor, time_label, _ = specs[time_column]
    time = values[:, index[time_column]] * time_factor
    _checks.check_time(path, time_column, time)

    channels, originals = {}, {}
    for column, (channel, si_unit, factor, label, dim) in specs.items():
        if column == time_column:
            continue
        raw = values[:, index[column]]
        if check_angle_units and dim == "angle":
            if si_unit == "rad" and factor != 1.0 and abs(factor - _checks.DEG) < 1e-12:
                _checks.check_declared_degrees(path, column, raw)
            elif factor == 1.0:
                _checks.check_declared_radians(path, column, raw)
        sign = {"angle": angle_sign, "angular_velocity": angle_sign, "torque": torque_sign}.get(channel, 1.0)
        channels[channel] = (raw * factor * sign, si_unit)
        originals[channel] = _checks.original(column, label, factor * sign)
    originals["time"] = _checks.original(time_column, time_label, time_factor)

    meta: dict[str, Any] = {"format": "csv", **found_meta, "angle_sign": angle_sign}
    if comments:
        meta["comments"] = comments
    return _checks.build_trial(path, time, channels, originals, meta, joint=joint, side=side, extra=metadata)
