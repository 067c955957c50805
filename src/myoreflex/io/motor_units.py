"""Reader of motor-unit discharge times: a ``unit,time_s`` CSV or a decomposed HD-EMG MATLAB file.

=================  ===========================================================================
file               holds
=================  ===========================================================================
``.csv``           one row per discharge: columns ``unit`` and ``time_s`` (or ``time_ms``), in any
                   order, rows in any order; other columns are ignored
``.mat``           DEMUSE layout (also exported by openhdemg and MUedit): ``MUPulses`` (a cell
                   array of 1-based sample indices, one per unit) and ``fsamp`` (Hz); an optional
                   ``ref_signal`` sampled at ``fsamp`` becomes the reference (force) signal
=================  ===========================================================================

Both give a :class:`~myoreflex.measures.motor_units.DischargeTimes` with times in s, each unit's
times sorted; a repeated time in one unit, a non-numeric or non-finite time, or a missing column or
variable raises :class:`~myoreflex.errors.RecordingError` naming the file and what was expected.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from myoreflex.errors import RecordingError, describe
from myoreflex.io._checks import MAX_BYTES, check_file, check_size
from myoreflex.measures.motor_units import DischargeTimes

TIME_COLUMNS = {"time_s": 1.0, "time_ms": 1e-3}
"""Accepted time columns of the CSV and their factor to s."""


def _fail(path: Path, expected: str, got: object, hint: str = "") -> RecordingError:
    return RecordingError(describe(f"`{path.name}`", expected, got, hint))


def _checked(path: Path, units: list[str], times: list[np.ndarray], **reference) -> DischargeTimes:
    for unit, values in zip(units, times):
        if np.any(np.diff(values) == 0):
            raise _fail(path, f"one discharge per time in unit `{unit}`", "a repeated time",
                        "remove the duplicate rows")
    return DischargeTimes(tuple(units), tuple(times), path.name, **reference)


def _read_csv(path: Path) -> DischargeTimes:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise _fail(path, "a header with `unit` and `time_s`", "an empty file")
    header = [name.strip().lower() for name in rows[0]]
    time_column = next((name for name in TIME_COLUMNS if name in header), None)
    if "unit" not in header or time_column is None:
        raise _fail(path, "columns `unit` and `time_s` (or `time_ms`)", f"columns {rows[0]}")
    unit_at, time_at = header.index("unit"), header.index(time_column)
    by_unit: dict[str, list[float]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            value = float(row[time_at])
        except (ValueError, IndexError):
            raise _fail(path, f"a number in column `{time_column}`, line {line}",
                        repr(row[time_at] if time_at < len(row) else "(missing)")) from None
        if not np.isfinite(value):
            raise _fail(path, f"a finite time in column `{time_column}`, line {line}", value)
        by_unit.setdefault(row[unit_at].strip(), []).append(value * TIME_COLUMNS[time_column])
    if not by_unit:
        raise _fail(path, "at least one discharge", "a header only")
    units = list(by_unit)
    return _checked(path, units, [np.sort(np.asarray(by_unit[unit])) for unit in units])


def _read_mat(path: Path) -> DischargeTimes:
    from scipy.io import loadmat

    try:
        data = loadmat(path, squeeze_me=True)
    except NotImplementedError:
        raise _fail(path, "a MATLAB file up to v7", "a v7.3 (HDF5) file", "save it with -v7") from None
    except (ValueError, TypeError, OSError) as error:  # a damaged or foreign file
        raise _fail(path, "a MATLAB .mat file", type(error).__name__) from None
    if "MUPulses" not in data or "fsamp" not in data:
        names = sorted(key for key in data if not key.startswith("__"))
        raise _fail(path, "variables `MUPulses` and `fsamp` (DEMUSE layout)", f"variables {names}")
    rate = float(np.asarray(data["fsamp"], dtype=float).ravel()[0])
    if not rate > 0:
        raise _fail(path, "a positive sampling rate `fsamp` (Hz)", rate)
    pulses = data["MUPulses"]
    trains = list(pulses) if isinstance(pulses, np.ndarray) and pulses.dtype == object else [pulses]
    times = []
    for values in trains:
        values = np.atleast_1d(np.asarray(values, dtype=float))
        if not np.all(np.isfinite(values)):
            raise _fail(path, "finite sample indices in `MUPulses`", "NaN or inf")
        times.append(np.sort(values - 1.0) / rate)
    reference = {}
    if "ref_signal" in data:
        signal = np.asarray(data["ref_signal"], dtype=float).ravel()
        reference = {"reference_time": np.arange(signal.size) / rate, "reference": signal}
    return _checked(path, [str(i + 1) for i in range(len(times))], times, **reference)


def read_discharge_times(path: str | Path, *, max_bytes: int = MAX_BYTES) -> DischargeTimes:
    """Discharge times of decomposed motor units from a ``unit,time_s`` CSV or a DEMUSE-layout .mat.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "units.csv"
    >>> _ = path.write_text("unit,time_s\\n1,0.20\\n2,0.50\\n1,0.10\\n")
    >>> times = read_discharge_times(path)
    >>> times.units, [t.tolist() for t in times.times], times.source
    (('1', '2'), [[0.1, 0.2], [0.5]], 'units.csv')
    """
    path = check_file(path)
    check_size(path, max_bytes)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".mat":
        return _read_mat(path)
    raise _fail(path, "a .csv (unit,time_s) or .mat (MUPulses, fsamp) file", repr(suffix or "(no suffix)"))
