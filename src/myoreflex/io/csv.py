"""Read a delimited text recording (CSV) with units in its column names.

Header convention
-----------------
One header line, then one row per sample; ``,`` ``;`` or tab separated (detected from the header,
counting only separators outside double quotes); blank lines and leading lines that start with
``#`` are ignored. Cells may be quoted as spreadsheets write them (RFC 4180: ``"knee, angle_deg"``,
``""`` for a quote inside); quoted cells are split by Python's :mod:`csv` tokenizer, never by a
plain split. Every column name ends with its unit as a suffix, ``<quantity>_<unit>``:

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

Units from the user: ``conversions={key: Conversion(scale, offset, unit)}`` reads a column as
``file value * scale + offset`` in ``unit`` (:class:`~myoreflex.io.Conversion`); the key is the
column (``knee_V``) or the channel it becomes (``angle``). A column ``knee_angle_V`` with
``conversions={"angle": Conversion(35.68, unit="deg")}`` becomes the ``angle`` in rad.

Decimal comma. European spreadsheets write ``0,01`` and separate fields by ``;`` (or a tab).
``decimal=","`` reads such numbers; ``decimal="."`` refuses them. By default (``decimal=None``)
the rule is: with a ``,`` delimiter the decimal mark is ``.``; with any other delimiter a comma
inside a cell can only be a decimal comma, so it is read as one. A number with both marks (a
thousands separator, ``1.234,5``) is refused, never guessed. ``metadata["decimal"]`` records the
mark the file used.

Limits: a file above ``max_bytes`` (:data:`MAX_BYTES`, 256 MiB) or with more than ``max_samples``
data rows (:data:`MAX_SAMPLES`, 10 million) is refused before its data are read (the row count as
soon as it is passed). The file is read in blocks and parsed in chunks of rows straight into
NumPy arrays: reading takes about 3x the file's size in memory (tests/io/test_limits.py measures
it under 10x).
"""

from __future__ import annotations

import csv as _csv
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from myoreflex.io import _checks
from myoreflex.io._checks import Conversion, fail
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
            "fix the unit suffix, map the column with columns={name: (channel, unit, scale)}, or "
            + _checks.conversion_hint(channel, {"rad": "deg", "rad/s": "deg/s"}.get(expected, expected)),
        )


MAX_BYTES = _checks.MAX_BYTES
"""Largest CSV file :func:`read_csv` reads by default (256 MiB); ``max_bytes=`` overrides it."""
MAX_SAMPLES = _checks.MAX_SAMPLES
"""Most data rows :func:`read_csv` reads by default (10 million); ``max_samples=`` overrides it."""
_CHUNK_ROWS = 1 << 16
_MISSING = ("", "nan", "na", "n/a", "null")


_QUOTED = re.compile(r'"(?:[^"]|"")*"?')


def sniff_delimiter(line: str) -> str:
    """The delimiter of a header line: the most frequent of ``,`` ``;`` tab outside double quotes
    (``,`` when there is none)."""
    bare = _QUOTED.sub("", line)
    counts = {d: bare.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


def split_fields(path: Path, line: str, delimiter: str, number: int | None = None) -> list[str]:
    """The fields of one line by Python's csv tokenizer (quotes honoured), each stripped."""
    try:
        fields = next(_csv.reader([line], delimiter=delimiter, skipinitialspace=True))
    except _csv.Error as exc:
        where = f"line {number}" if number is not None else "the header"
        raise fail(path, None, "delimited text (RFC 4180 quoting)", f"{exc} at {where}") from None
    return [field.strip() for field in fields]


def _read_header(path: Path, lines, delimiter: str | None) -> tuple[list[str], list[str], str]:
    """Header names, leading ``#`` comments and the delimiter; ``lines`` is left at the first data line."""
    comments = []
    for _, line in lines:
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            comments.append(line.lstrip()[1:].strip())
            continue
        break
    else:
        raise fail(path, None, "a header line and data rows", "no header (empty or comments only)")
    if delimiter is None:
        delimiter = sniff_delimiter(line)
    header = [name.strip("'").strip() for name in split_fields(path, line, delimiter)]
    while header and header[-1] == "":
        header.pop()
    return header, comments, delimiter


def _cell_numbers(path: Path, header: list[str], lines: list[str], numbers: list[int], delimiter: str,
                  used: list[int]) -> np.ndarray:
    """The slow path of a chunk that NumPy refused: empty and NA cells become NaN, text is an error
    naming the column and the line."""
    values = np.empty((len(lines), len(used)))
    for i, (line, number) in enumerate(zip(lines, numbers)):
        fields = line.split(delimiter)
        for k, j in enumerate(used):
            cell = fields[j].strip()
            if cell.lower() in _MISSING:
                values[i, k] = np.nan
                continue
            try:
                values[i, k] = float(cell)
            except ValueError:
                hint = ""
                if "," in cell and delimiter != ",":
                    hint = "the file writes decimal commas: pass decimal=','"
                if "," in cell and "." in cell or cell.count(".") > 1:
                    hint = "a number with a thousands separator: remove the separators in the file"
                raise fail(path, header[j], "a number in every cell",
                           f"{cell!r} at line {number} (corrupt file)", hint) from None
    return values


def _read_values(path: Path, lines, header: list[str], delimiter: str, used: list[int],
                 max_samples: int, decimal_comma: bool, seen: dict[str, bool],
                 width_from: str = "the header") -> np.ndarray:
    """The ``used`` columns of every data row as a ``(len(used), rows)`` array, parsed in chunks.

    Blank lines are skipped; a line with a double quote is split by the csv tokenizer and joined
    again (a quoted cell holding the delimiter is not a number: an error naming it); with
    ``decimal_comma`` commas become points (``seen["comma"]`` records that one was). A row with
    another number of fields than the header (trailing empty fields aside) is an error saying
    whether the file is truncated (the last row) or corrupt.
    """
    width = len(header)
    chunks: list[np.ndarray] = []
    pending: list[str] = []
    numbers: list[int] = []
    rows = 0

    def flush():
        parsed = _checks.parse_chunk(pending, delimiter, used)
        if parsed is None:
            parsed = _cell_numbers(path, header, pending, numbers, delimiter, used)
        chunks.append(parsed)
        pending.clear()
        numbers.clear()

    for number, line in lines:
        if not line.strip():
            continue
        if '"' in line:
            fields = split_fields(path, line, delimiter, number)
            for j, field in enumerate(fields):
                if delimiter in field:
                    raise fail(path, header[j] if j < width else None, "a number in every cell",
                               f"{field!r} at line {number} (corrupt file)")
            line = delimiter.join(fields)
        if decimal_comma and "," in line:
            line = line.replace(",", ".")
            seen["comma"] = True
        if line.count(delimiter) + 1 != width:
            fields = [field.strip() for field in line.split(delimiter)]
            while len(fields) > width and fields[-1] == "":
                fields.pop()
            if len(fields) != width:
                is_last = not any(rest.strip() for _, rest in lines)
                state = "truncated file: the last row" if is_last else f"corrupt row at line {number}"
                raise fail(path, None, f"{width} fields per row (as in {width_from})", f"{state} has {len(fields)}")
        rows += 1
        _checks.check_samples(path, rows, max_samples, "data rows")
        pending.append(line)
        numbers.append(number)
        if len(pending) >= _CHUNK_ROWS:
            flush()
    if pending:
        flush()
    if not rows:
        raise fail(path, None, "at least one data row", "none" if width_from != "the header" else "a header only")
    return _checks.stack_columns(chunks, len(used))


def read_csv(
    path: str | Path,
    *,
    angle_channel: str | None = None,
    time_column: str | None = None,
    columns: Mapping[str, Any] | None = None,
    conversions: Mapping[str, Conversion] | None = None,
    angle_sign: float = 1.0,
    torque_sign: float = 1.0,
    delimiter: str | None = None,
    decimal: str | None = None,
    joint: str | None = None,
    side: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    check_angle_units: bool = True,
    max_bytes: int = MAX_BYTES,
    max_samples: int = MAX_SAMPLES,
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
    conversions : ``{column or channel: Conversion(scale, offset, unit)}``: the column's values
        become ``value * scale + offset`` in ``unit`` (None: its own unit), after ``columns``.
    angle_sign : multiplies ``angle`` and ``angular_velocity`` (use -1 to turn the file's sign
        convention into the myoreflex one: positive stretches the tested muscle).
    torque_sign : multiplies ``torque``.
    delimiter : ``","``, ``";"`` or ``"\\t"``; default: detected from the header line.
    decimal : the decimal mark, ``"."`` or ``","``; default: ``"."`` when the delimiter is ``,``,
        else a comma in a cell is read as a decimal comma (rule in the module doc).
    joint, side : metadata; default: read from an angle column such as ``knee_angle_l_deg``.
    metadata : extra metadata entries.
    check_angle_units : reject degree columns that look like radians and vice versa (rule in
        :mod:`myoreflex.io._checks`).
    max_bytes : the largest file read (default :data:`MAX_BYTES`, 256 MiB).
    max_samples : the most data rows read (default :data:`MAX_SAMPLES`, 10 million).

    Returns
    -------
    Trial with channels in SI units; ``metadata["original_channels"][channel]`` gives the column
    name, its unit and the factor applied (``SI = file value * scale + offset``).

    Raises
    ------
    RecordingError
        Empty, truncated or corrupt file; a column without a known unit; a missing mapped column;
        NaN gaps; time not strictly increasing; degrees that look like radians; an angle column
        in another unit (a conversion fixes it); a file above ``max_bytes`` or ``max_samples``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "pendulum.csv"
    >>> _ = path.write_text("time_s,knee_angle_l_deg,hip_angle_deg\\n0.00,10,90\\n0.01,12,90\\n0.02,15,90\\n")
    >>> trial = read_csv(path, angle_channel="knee_angle_l_deg")
    >>> trial.unit("angle"), trial.joint, trial.side, trial.rate_hz, sorted(trial.channels)
    ('rad', 'knee', 'left', 100.0, ['angle', 'hip_angle'])

    A goniometer column in volts, read as degrees (35.68 deg per V):

    >>> _ = path.write_text("time_s,knee_V\\n0.00,1.0\\n0.01,1.5\\n0.02,2.0\\n")
    >>> trial = read_csv(path, angle_channel="knee_V", conversions={"angle": Conversion(35.68, unit="deg")})
    >>> trial.unit("angle"), round(float(trial["angle"][-1]), 4)
    ('rad', 1.2455)
    """
    path = _checks.check_file(path)
    _checks.check_limits(path, max_bytes, max_samples)
    conversions = _checks.check_conversions(conversions)
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1
                                  or delimiter in "0123456789.+-eE\"'\r\n"):
        raise fail(path, None, "a one-character delimiter such as , ; or a tab (delimiter=)", repr(delimiter))
    if decimal not in (None, ".", ","):
        raise fail(path, None, "decimal='.' or decimal=','", repr(decimal))
    _checks.check_size(path, max_bytes)
    lines = enumerate(_checks.text_lines(path, "UTF-8 text (a CSV file)"), start=1)
    header, comments, delimiter = _read_header(path, lines, delimiter)
    if decimal == "," and delimiter == ",":
        raise fail(path, None, "a delimiter other than ',' with decimal=','", "',' as the delimiter",
                   "pass delimiter=';' (or a tab) if that is what the file uses")
    if not header:
        raise fail(path, None, "a header line of column names", "an empty header line")
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

    # column -> (channel, SI unit, unit factor, extra scale, file unit label, dimension, conversion)
    specs: dict[str, tuple[str, str, float, float, str, str, Conversion | None]] = {}
    found_meta: dict[str, str] = {}
    used_keys: set[str] = set()
    for column in header:
        scale = 1.0
        meta: dict[str, str] = {}
        if column in columns:
            spec = columns[column]
            if spec is None:
                continue
            if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
                raise fail(path, column, "a mapping (channel, unit) or (channel, unit, scale)", spec)
            channel, label = spec[0], spec[1]
            try:
                scale = float(spec[2]) if len(spec) == 3 else 1.0
            except (TypeError, ValueError):
                raise fail(path, column, "a number as the scale of (channel, unit, scale)", spec[2]) from None
            if not isinstance(channel, str) or not isinstance(label, str) or not math.isfinite(scale):
                raise fail(path, column, "a mapping (channel, unit) or (channel, unit, finite scale)", spec)
            conversion = _checks.pick_conversion(conversions, used_keys, column,
                                                 "angle" if column == angle_channel else None,
                                                 "time" if column == time_column else channel)
            file_label = label
            if conversion is not None and conversion.unit is not None:
                label = conversion.unit
            si_unit, factor, dim = _checks.require_unit(path, column, label)
            if column == time_column:
                channel = "time"
        else:
            split = split_unit_suffix(column)
            if split is None:
                given = conversions.get(column)
                if given is None or given.unit is None:
                    raise fail(
                        path,
                        column,
                        "a unit suffix such as _deg, _rad, _nm, _n, _mv, _s (units are never guessed)",
                        "no recognisable unit",
                        "rename the column, map it with columns={name: (channel, unit)}, or give its unit "
                        "with conversions={name: Conversion(unit=...)}",
                    )
                quantity, file_label, label = column.strip().lower(), "(none)", given.unit
            else:
                quantity = split[0]
                file_label = label = column.strip()[-len(split[1]):]  # the suffix as written, e.g. "Nm"
            quantity = re.sub(r"[^0-9a-z_]+", "_", quantity)
            dim = _checks.require_unit(path, column, label)[2]
            channel, meta = vocabulary_name(quantity, dim)
            if angle_channel is not None and channel == "angle" and column != angle_channel:
                channel, meta = quantity, {}
            conversion = _checks.pick_conversion(conversions, used_keys, column,
                                                 "angle" if column == angle_channel else None,
                                                 "time" if column == time_column else channel)
            if conversion is None:  # a key naming the channel the converted unit gives
                for key, candidate in conversions.items():
                    if candidate.unit is not None and key not in used_keys:
                        named = vocabulary_name(quantity, _checks.require_unit(path, column, candidate.unit)[2])[0]
                        if named == key and not (angle_channel is not None and named == "angle"):
                            conversion = _checks.pick_conversion(conversions, used_keys, key)
                            break
            if conversion is not None and conversion.unit is not None:
                label = conversion.unit
            si_unit, factor, dim = _checks.require_unit(path, column, label)
            if conversion is not None and conversion.unit is not None:
                channel, meta = vocabulary_name(quantity, dim)
                if angle_channel is not None and channel == "angle" and column != angle_channel:
                    channel, meta = quantity, {}
            if column == time_column:
                channel = "time"
        for key, value in meta.items():
            if channel == "angle":
                found_meta[key] = value
            else:
                found_meta.setdefault(key, value)
        if column == angle_channel:
            _checks.require_quantity(path, column, "angle", label, "angle")
            channel = "angle"
        if channel == "time" and column != time_column:
            raise fail(path, column, f"one time column (`{time_column}`)", "a second time column")
        if column == time_column and dim != "time":
            raise fail(path, column, "a time unit (s or ms)", si_unit)
        if column != time_column:
            _check_vocabulary(path, column, channel, si_unit)
        specs[column] = (channel, si_unit, factor, scale, file_label, dim, conversion)
    _checks.check_all_used(path, conversions, used_keys, [*header, *(spec[0] for spec in specs.values())])

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

    used = sorted(header.index(column) for column in specs)
    decimal_comma = decimal == "," or (decimal is None and delimiter != ",")
    seen = {"comma": False}
    values = _read_values(path, lines, header, delimiter, used, max_samples, decimal_comma, seen)
    row = {header[j]: k for k, j in enumerate(used)}  # column -> its row of `values`

    def converted(column: str) -> np.ndarray:
        """The column in its declared unit (after columns= and conversions), in place."""
        _, _, _, scale, _, _, conversion = specs[column]
        raw = values[row[column]]
        if scale != 1.0:
            raw *= scale
        if conversion is not None:
            conversion.apply(raw, inplace=True)
        return raw

    _, _, time_factor, time_scale, time_label, _, time_conversion = specs[time_column]
    time = converted(time_column)
    time *= time_factor
    _checks.check_time(path, time_column, time)

    channels, originals = {}, {}
    for column, (channel, si_unit, factor, scale, label, dim, conversion) in specs.items():
        if column == time_column:
            continue
        raw = converted(column)
        if check_angle_units and dim == "angle":
            if abs(factor - _checks.DEG) < 1e-12:
                _checks.check_declared_degrees(path, column, raw)
            elif factor == 1.0:
                _checks.check_declared_radians(path, column, raw)
        sign = {"angle": angle_sign, "angular_velocity": angle_sign, "torque": torque_sign}.get(channel, 1.0)
        raw *= factor * sign
        total = scale * (conversion.scale if conversion else 1.0) * factor * sign
        offset = (conversion.offset if conversion else 0.0) * factor * sign
        channels[channel] = (raw, si_unit)
        originals[channel] = _checks.original(column, label, total, offset, **_checks.conversion_record(conversion))
    time_total = time_scale * (time_conversion.scale if time_conversion else 1.0) * time_factor
    time_offset = (time_conversion.offset if time_conversion else 0.0) * time_factor
    originals["time"] = _checks.original(time_column, time_label, time_total, time_offset,
                                         **_checks.conversion_record(time_conversion))

    meta: dict[str, Any] = {"format": "csv", **found_meta, "angle_sign": angle_sign, "delimiter": delimiter,
                            "decimal": "," if seen["comma"] or decimal == "," else "."}
    if comments:
        meta["comments"] = comments
    return _checks.build_trial(path, time, channels, originals, meta, joint=joint, side=side, extra=metadata)
