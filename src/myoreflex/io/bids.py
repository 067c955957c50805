"""Motion-BIDS in and out: ``*_motion.tsv`` with its ``*_channels.tsv`` and ``*_motion.json``.

Format (BIDS specification 1.9.0 and later, "Motion"; Jeung et al. 2024, doi
10.1038/s41597-024-03559-8): a recording of one tracking system is three files that share their
name up to the suffix,

- ``<name>_motion.tsv``: tab separated numbers, one column per channel, **no header row**;
  ``n/a`` marks a missing sample;
- ``<name>_channels.tsv``: a header row, then one row per column of the motion file, in the same
  order; the REQUIRED columns are ``name``, ``component`` (``x``, ``y``, ``z``, ``quat_x`` ...
  ``quat_w`` or ``n/a``), ``type`` (upper case: ``ACCEL``, ``ANGACCEL``, ``GYRO``, ``JNTANG``,
  ``LATENCY``, ``MAGN``, ``MISC``, ``ORNT``, ``POS``, ``VEL``), ``tracked_point`` and ``units``;
- ``<name>_motion.json``: the sidecar; ``SamplingFrequency`` (Hz) and ``TrackingSystemName`` are
  REQUIRED (``TaskName`` too, for the task).

How a file becomes a Trial (:func:`read_bids_motion`). Time: the ``LATENCY`` channel when there
is one (s from the first sample), else ``sample index / SamplingFrequency``. Every other channel
keeps its ``name`` (as a channel name: lower case, other characters ``_``) in SI, its unit from
the ``units`` column read by :data:`myoreflex.io._checks.UNITS` plus the motion units of
:data:`MOTION_UNITS` (``m/s``, ``m/s^2``, ``g``, ``deg/s^2``, ``T``, ...); ``n/a`` is read as
dimensionless (``1``: quaternion components, counts). A unit the tables do not know is an error
naming the file, the channel and the unit (give it with ``conversions``), and a unit of the wrong
kind for the type (a ``JNTANG`` in mm) is an error. ``JNTANG`` channels are joint angles (the
spec: in deg, proximal to distal): ``angle_channel=`` picks the one exposed as ``angle``; when the
file has a single ``JNTANG`` it is the ``angle`` by default. Sidecars are looked up next to the
motion file only (BIDS inheritance from parent folders is not followed). The sidecar's
``TaskName``, ``TrackingSystemName`` and the ``sub-`` entity of the file name go to the metadata
(``task``, ``tracking_system``, ``subject``).

:func:`write_bids_motion` writes a Trial as such a triple: a ``LATENCY`` channel holding the
Trial's time, ``angle`` as ``JNTANG`` in deg, every other channel as ``MISC`` in its SI unit
(``N.m`` for N m, ``n/a`` for 1, rad/s as deg/s), each file written to a temporary name and
renamed.

EMG-BIDS (``*_emg.edf`` / ``*_emg.bdf`` with ``*_channels.tsv``): :func:`read_bids_emg`, with the
optional ``edfio`` package (extra ``bids-emg``).
"""

from __future__ import annotations

import csv as _csv
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from myoreflex.errors import ParameterError, describe
from myoreflex.io import _checks
from myoreflex.io._checks import Conversion, fail
from myoreflex.io.csv import _read_values
from myoreflex.trial import Trial
from myoreflex.units import DEG

MAX_BYTES = _checks.MAX_BYTES
"""Largest motion file :func:`read_bids_motion` reads by default (256 MiB); ``max_bytes=`` overrides it."""
MAX_SAMPLES = _checks.MAX_SAMPLES
"""Most samples per channel :func:`read_bids_motion` reads by default (10 million)."""
MAX_SIDECAR_BYTES = 1 << 20
"""Largest ``*_channels.tsv`` or ``*_motion.json`` read (1 MiB)."""

CHANNEL_COLUMNS = ("name", "component", "type", "tracked_point", "units")
"""The REQUIRED columns of a Motion-BIDS ``*_channels.tsv``."""
CHANNEL_TYPES = ("ACCEL", "ANGACCEL", "GYRO", "JNTANG", "LATENCY", "MAGN", "MISC", "ORNT", "POS", "VEL")
"""The restricted keywords of the ``type`` column (upper case is required)."""

#: Motion units beyond :data:`myoreflex.io._checks.UNITS`: label -> (SI unit, factor, dimension)
MOTION_UNITS: dict[str, tuple[str, float, str]] = {
    "m/s": ("m/s", 1.0, "velocity"),
    "cm/s": ("m/s", 1e-2, "velocity"),
    "mm/s": ("m/s", 1e-3, "velocity"),
    "m/s^2": ("m/s^2", 1.0, "acceleration"),
    "mm/s^2": ("m/s^2", 1e-3, "acceleration"),
    "g": ("m/s^2", 9.80665, "acceleration"),  # standard gravity (CGPM 1901)
    "rad/s^2": ("rad/s^2", 1.0, "angular_acceleration"),
    "deg/s^2": ("rad/s^2", DEG, "angular_acceleration"),
    "t": ("T", 1.0, "magnetic_field"),
    "mt": ("T", 1e-3, "magnetic_field"),
    "ut": ("T", 1e-6, "magnetic_field"),
    "µt": ("T", 1e-6, "magnetic_field"),
    "gauss": ("T", 1e-4, "magnetic_field"),
    "1/s": ("1/s", 1.0, "rate"),
    "n/a": ("1", 1.0, "dimensionless"),
}

#: the dimensions each channel type allows (None: any known unit)
_TYPE_DIMENSIONS: dict[str, tuple[str, ...] | None] = {
    "JNTANG": ("angle",), "ORNT": ("angle", "dimensionless"), "GYRO": ("angular_velocity",),
    "ANGACCEL": ("angular_acceleration",), "POS": ("length",), "VEL": ("velocity",),
    "ACCEL": ("acceleration",), "MAGN": ("magnetic_field",), "LATENCY": ("time",), "MISC": None,
}


def motion_unit(label: str) -> tuple[str, float, str] | None:
    """``(SI unit, factor, dimension)`` of a Motion-BIDS ``units`` entry, or None when unknown."""
    key = label.strip().lower().replace("μ", "µ").replace("**", "^")
    return MOTION_UNITS.get(key) or _checks.lookup_unit(label)


def sidecar_paths(path: Path) -> tuple[Path, Path]:
    """The ``*_channels.tsv`` and ``*_motion.json`` of a ``*_motion.tsv`` (same folder)."""
    base = path.name[: -len("_motion.tsv")]
    return path.with_name(base + "_channels.tsv"), path.with_name(base + "_motion.json")


def _read_sidecar_text(path: Path, sidecar: Path, what: str) -> str:
    if not sidecar.is_file():
        raise fail(path, None, f"its {what} `{sidecar.name}` next to it (Motion-BIDS)", "no such file",
                   "BIDS inheritance from parent folders is not followed: copy the sidecar next to the file")
    _checks.check_size(sidecar, MAX_SIDECAR_BYTES, what)
    try:
        return sidecar.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(sidecar, None, f"UTF-8 text (a {what})", f"undecodable bytes at offset {exc.start}") from None


def read_sidecar(path: Path, sidecar: Path) -> dict[str, Any]:
    """The ``*_motion.json`` as a dict, with ``SamplingFrequency`` checked (a finite number > 0)."""
    text = _read_sidecar_text(path, sidecar, "sidecar JSON")
    try:
        content = json.loads(text)
    except ValueError as exc:
        raise fail(sidecar, None, "a JSON object (Motion-BIDS sidecar)", f"invalid JSON: {exc}") from None
    if not isinstance(content, dict):
        raise fail(sidecar, None, "a JSON object (Motion-BIDS sidecar)", type(content).__name__)
    rate = content.get("SamplingFrequency")
    ok = isinstance(rate, (int, float)) and not isinstance(rate, bool) and math.isfinite(rate) and rate > 0
    if not ok:
        raise fail(sidecar, "SamplingFrequency", "a sampling frequency in Hz (a number > 0; REQUIRED)",
                   "missing" if rate is None else repr(rate))
    return content


def read_channels_table(path: Path, sidecar: Path) -> list[dict[str, str]]:
    """The rows of a ``*_channels.tsv`` as dicts; the REQUIRED columns and the types are checked."""
    text = _read_sidecar_text(path, sidecar, "channels table")
    try:
        rows = [row for row in _csv.reader(text.splitlines(), delimiter="\t") if any(cell.strip() for cell in row)]
    except _csv.Error as exc:
        raise fail(sidecar, None, "a tab-separated table", str(exc)) from None
    if not rows:
        raise fail(sidecar, None, "a header row and one row per channel", "an empty file")
    header = [cell.strip() for cell in rows[0]]
    missing = [column for column in CHANNEL_COLUMNS if column not in header]
    if missing:
        raise fail(sidecar, missing[0], f"the REQUIRED columns {', '.join(CHANNEL_COLUMNS)} (tab separated)",
                   f"columns {header}")
    table = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise fail(sidecar, None, f"{len(header)} fields per row (as in the header)", f"{len(row)} at line {number}")
        entry = {key: cell.strip() for key, cell in zip(header, row)}
        if entry["type"] not in CHANNEL_TYPES:
            raise fail(sidecar, entry["name"], f"a type among {', '.join(CHANNEL_TYPES)} (upper case)",
                       repr(entry["type"]))
        table.append(entry)
    if not table:
        raise fail(sidecar, None, "one row per channel after the header", "none")
    names = [entry["name"] for entry in table]
    dupes = sorted({name for name in names if names.count(name) > 1})
    if dupes:
        raise fail(sidecar, dupes[0], "unique channel names", f"{names.count(dupes[0])} rows with this name")
    return table


def _subject(name: str) -> str | None:
    found = re.search(r"(?:^|_)sub-([0-9A-Za-z]+)", name)
    return found.group(1) if found else None


def read_bids_motion(
    path: str | Path,
    *,
    angle_channel: str | None = None,
    angle_sign: float = 1.0,
    conversions: Mapping[str, Conversion] | None = None,
    joint: str | None = None,
    side: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    check_angle_units: bool = True,
    max_bytes: int = MAX_BYTES,
    max_samples: int = MAX_SAMPLES,
) -> Trial:
    """Read a Motion-BIDS recording: ``*_motion.tsv`` with its ``*_channels.tsv`` and ``*_motion.json``.

    Parameters
    ----------
    path : the ``*_motion.tsv`` file; its two sidecars must lie next to it (rules in the module doc).
    angle_channel : the ``name`` of the channel exposed as ``angle`` (rad); default: the single
        ``JNTANG`` channel, when there is one.
    angle_sign : multiplies ``angle`` (-1 turns the file's sign convention into the myoreflex one).
    conversions : ``{channel name or Trial channel: Conversion(scale, offset, unit)}``: that
        channel's values become ``value * scale + offset`` in ``unit`` (None: the ``units`` column).
    joint, side : metadata.
    metadata : extra metadata entries.
    check_angle_units : reject a degree angle that looks like radians and vice versa.
    max_bytes : the largest motion file read (default :data:`MAX_BYTES`, 256 MiB).
    max_samples : the most samples per channel (default :data:`MAX_SAMPLES`, 10 million).

    Returns
    -------
    Trial in SI units; ``metadata["original_channels"][channel]`` holds the BIDS ``name``,
    ``unit``, ``scale`` and the ``type``, ``component`` and ``tracked_point``;
    ``metadata["sidecar"]`` the JSON sidecar.

    Raises
    ------
    RecordingError
        A missing or malformed sidecar, a column count that differs from the channels table, an
        unknown unit, a unit of the wrong kind for the channel type, NaN gaps, bad time.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "sub-01_task-pendulum_tracksys-imu_motion.tsv").write_text("10\\n12.5\\n15\\n")
    >>> _ = (folder / "sub-01_task-pendulum_tracksys-imu_channels.tsv").write_text(
    ...     "name\\tcomponent\\ttype\\ttracked_point\\tunits\\nknee_r\\tx\\tJNTANG\\tRightKnee\\tdeg\\n")
    >>> _ = (folder / "sub-01_task-pendulum_tracksys-imu_motion.json").write_text(
    ...     json.dumps({"SamplingFrequency": 100, "TrackingSystemName": "imu", "TaskName": "pendulum"}))
    >>> trial = read_bids_motion(folder / "sub-01_task-pendulum_tracksys-imu_motion.tsv")
    >>> trial.unit("angle"), trial.rate_hz, trial.subject, round(float(trial["angle"][-1]), 4)
    ('rad', 100.0, '01', 0.2618)
    """
    path = _checks.check_file(path)
    _checks.check_limits(path, max_bytes, max_samples)
    conversions = _checks.check_conversions(conversions)
    if not path.name.endswith("_motion.tsv"):
        raise fail(path, None, "a Motion-BIDS data file named *_motion.tsv", repr(path.name))
    _checks.check_size(path, max_bytes)
    channels_path, json_path = sidecar_paths(path)
    table = read_channels_table(path, channels_path)
    sidecar = read_sidecar(path, json_path)
    names = [entry["name"] for entry in table]
    if angle_channel is not None and angle_channel not in names:
        raise fail(path, angle_channel, f"a channel of `{channels_path.name}` ({', '.join(names)})",
                   "no such channel (asked as angle_channel=)")
    joint_angles = [entry["name"] for entry in table if entry["type"] == "JNTANG"]
    if angle_channel is None and len(joint_angles) == 1:
        angle_channel = joint_angles[0]
    latencies = [entry["name"] for entry in table if entry["type"] == "LATENCY"]
    if len(latencies) > 1:
        raise fail(channels_path, latencies[1], "at most one LATENCY channel", f"{len(latencies)}")

    lines = enumerate(_checks.text_lines(path, "UTF-8 text (a Motion-BIDS motion file)"), start=1)
    values = _read_values(path, lines, names, "\t", list(range(len(names))), max_samples, False,
                          {"comma": False}, width_from=f"`{channels_path.name}`, one per channel row")
    rate_hz = float(sidecar["SamplingFrequency"])

    used: set[str] = set()
    channels, originals = {}, {}
    time = None
    for row, entry in enumerate(table):
        name, kind, label = entry["name"], entry["type"], entry["units"]
        channel = ("time" if kind == "LATENCY" else "angle" if name == angle_channel
                   else _checks.sanitise_name(name))
        conversion = _checks.pick_conversion(conversions, used, name, channel)
        if conversion is not None and conversion.unit is not None:
            label = conversion.unit
        known = motion_unit(label)
        if known is None:
            raise fail(channels_path, name, f"a known unit ({', '.join(sorted({*_checks.UNITS, *MOTION_UNITS}))})",
                       repr(label), _checks.conversion_hint(name, "deg"))
        si_unit, factor, dimension = known
        allowed = _TYPE_DIMENSIONS[kind]
        if kind == "ORNT" and not entry["component"].startswith("quat"):
            allowed = ("angle",)
        if allowed is not None and dimension not in allowed:
            raise fail(channels_path, name, f"a unit of {' or '.join(allowed)} for a {kind} channel",
                       repr(label), _checks.conversion_hint(name, "deg"))
        if channel == "angle" and dimension != "angle":
            _checks.require_quantity(channels_path, name, "angle", label, "angle")
        raw = values[row]
        if conversion is not None:
            conversion.apply(raw, inplace=True)
        if channel == "angle" and check_angle_units:
            if abs(factor - DEG) < 1e-12:
                _checks.check_declared_degrees(path, name, raw)
            elif factor == 1.0:
                _checks.check_declared_radians(path, name, raw)
        sign = angle_sign if channel == "angle" else 1.0
        raw *= factor * sign
        if channel in channels or (channel == "time" and time is not None):
            raise fail(channels_path, name, "names that give distinct channel names", f"a second `{channel}`")
        extra = {"type": kind, "component": entry["component"], "tracked_point": entry["tracked_point"]}
        originals[channel] = _checks.original(
            name, label, (conversion.scale if conversion else 1.0) * factor * sign,
            (conversion.offset if conversion else 0.0) * factor * sign, **extra,
            **_checks.conversion_record(conversion))
        if channel == "time":
            time = raw
        else:
            channels[channel] = (raw, si_unit)
    _checks.check_all_used(path, conversions, used, [*names, *channels])
    if time is None:
        time = np.arange(values.shape[1]) / rate_hz
        originals["time"] = _checks.original("(sample index)", "1", 1.0 / rate_hz)
    if not channels:
        raise fail(channels_path, None, "a data channel besides LATENCY", "none")

    meta: dict[str, Any] = {"format": "bids-motion", "sidecar": sidecar, "sampling_frequency_hz": rate_hz}
    for key, source in (("task", "TaskName"), ("tracking_system", "TrackingSystemName")):
        if isinstance(sidecar.get(source), str):
            meta[key] = sidecar[source]
    subject = _subject(path.name)
    if subject is not None:
        meta["subject"] = subject
    if "angle" in channels:
        meta["angle_sign"] = angle_sign
        meta["tracked_point"] = originals["angle"]["tracked_point"]
    return _checks.build_trial(path, time, channels, originals, meta, joint=joint, side=side, extra=metadata)


# ---------------------------------------------------------------------------------------------
# EMG-BIDS

EMG_SUFFIXES = ("_emg.edf", "_emg.bdf")
"""EMG-BIDS data files (European Data Format and BioSemi; lower case is required)."""


def read_bids_emg(
    path: str | Path,
    *,
    muscles: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    max_bytes: int = MAX_BYTES,
    max_samples: int = MAX_SAMPLES,
) -> Trial:
    """Read an EMG-BIDS recording (``*_emg.edf`` or ``*_emg.bdf``) with its ``*_channels.tsv``.

    EMG-BIDS (BIDS specification 1.11.0, "Electromyography") stores the signals in EDF(+) or
    BDF(+), read here by ``edfio`` (the ``bids-emg`` extra). The ``*_channels.tsv`` next to the
    file (RECOMMENDED by the spec; used when present) gives each channel's ``type``: ``EMG``
    channels become ``emg_<name>`` in V; the others keep their name when their unit (the EDF
    ``physical_dimension``, or the table's ``units``) is known, and are listed in
    ``metadata["skipped_columns"]`` otherwise. Every kept channel must share one sampling rate.
    ``*_emg.json`` (``TaskName``, ``SamplingFrequency``) is read when present.

    Parameters
    ----------
    path : the ``*_emg.edf`` / ``*_emg.bdf`` file.
    muscles : ``{channel name: muscle}`` to name EMG channels (``emg_<muscle>``).
    metadata : extra metadata entries.
    max_bytes : the largest file read (default :data:`MAX_BYTES`, 256 MiB).
    max_samples : the most samples per channel (default :data:`MAX_SAMPLES`, 10 million),
        checked from the header before the data are read.

    Raises
    ------
    NotSupported
        ``edfio`` is not installed (``pip install "myoreflex[bids-emg]"``).
    RecordingError
        An unreadable EDF/BDF, channels at different rates, an EMG channel not in volts, a
        channels table that names channels the file lacks.
    """
    from myoreflex.errors import require_extra

    path = _checks.check_file(path)
    _checks.check_limits(path, max_bytes, max_samples)
    if not path.name.endswith(EMG_SUFFIXES):
        raise fail(path, None, "an EMG-BIDS data file named *_emg.edf or *_emg.bdf", repr(path.name))
    _checks.check_size(path, max_bytes)
    edfio = require_extra("edfio", "bids-emg")
    base = path.name[: -len("_emg.edf")]
    channels_path, json_path = path.with_name(base + "_channels.tsv"), path.with_name(base + "_emg.json")
    try:
        if path.suffix == ".edf":
            recording = edfio.read_edf(path, lazy_load_data=True)
        else:
            recording = edfio.read_bdf(path)
        signals = list(recording.signals)
    except Exception as exc:  # noqa: BLE001 - edfio raises ValueError, IndexError, UnicodeDecodeError... on bad files
        raise fail(path, None, "a readable EDF/BDF file (EMG-BIDS)", f"{type(exc).__name__}: {exc}") from None
    if not signals:
        raise fail(path, None, "at least one signal", "none")
    table = {}
    if channels_path.is_file():
        text = _read_sidecar_text(path, channels_path, "channels table")
        rows = [row for row in _csv.reader(text.splitlines(), delimiter="\t") if any(c.strip() for c in row)]
        header = [cell.strip() for cell in rows[0]] if rows else []
        for column in ("name", "type", "units"):
            if column not in header:
                raise fail(channels_path, column, "the columns name, type, units (tab separated)", f"columns {header}")
        for row in rows[1:]:
            entry = dict(zip(header, (cell.strip() for cell in row)))
            table[entry.get("name", "")] = entry
        labels = [signal.label.strip() for signal in signals]
        unknown = [name for name in table if name not in labels]
        if unknown:
            raise fail(channels_path, unknown[0], f"a signal of `{path.name}` ({', '.join(labels)})", "no such signal")
    sidecar = json.loads(_read_sidecar_text(path, json_path, "sidecar JSON")) if json_path.is_file() else {}
    muscles = dict(muscles or {})
    channels, originals, skipped = {}, {}, {}
    rate = None
    for signal in signals:
        label = signal.label.strip()
        entry = table.get(label, {})
        kind = entry.get("type", "EMG" if not table else "MISC")
        unit_label = entry.get("units") or signal.physical_dimension.strip()
        known = motion_unit(unit_label) if unit_label else None
        if kind == "EMG":
            if known is None or known[2] != "voltage":
                raise fail(path, label, "an EMG channel in V, mV or uV", f"unit {unit_label!r}")
            channel = "emg_" + _checks.sanitise_name(muscles.get(label, label))
        elif known is None:
            skipped[label] = f"a {kind} channel without a known unit ({unit_label!r})"
            continue
        else:
            channel = _checks.sanitise_name(label)
        if rate is None:
            rate = float(signal.sampling_frequency)
        elif float(signal.sampling_frequency) != rate:
            raise fail(path, label, f"one sampling rate for every channel ({rate:g} Hz)",
                       f"{float(signal.sampling_frequency):g} Hz", "resample it or leave it out of the channels")
        samples = round(recording.duration * rate)
        _checks.check_samples(path, samples, max_samples)
        try:
            values = np.asarray(signal.data, float) * known[1]
        except Exception as exc:  # noqa: BLE001 - a truncated data record
            raise fail(path, label, "the samples the header declares", f"{type(exc).__name__}: {exc}") from None
        if channel in channels:
            raise fail(path, label, "names that give distinct channel names", f"a second `{channel}`")
        channels[channel] = (values, known[0])
        originals[channel] = _checks.original(label, unit_label, known[1], type=kind)
    if not channels:
        raise fail(path, None, "a channel with a known unit", "none", "list its unit in the channels table")
    lengths = {len(values) for values, _ in channels.values()}
    if len(lengths) != 1:
        raise fail(path, None, "the same number of samples in every channel", f"lengths {sorted(lengths)}")
    time = np.arange(lengths.pop()) / rate
    originals["time"] = _checks.original("(sample index)", "1", 1.0 / rate)
    meta: dict[str, Any] = {"format": "bids-emg", "sidecar": sidecar}
    if skipped:
        meta["skipped_columns"] = skipped
    if isinstance(sidecar.get("TaskName"), str):
        meta["task"] = sidecar["TaskName"]
    subject = _subject(path.name)
    if subject is not None:
        meta["subject"] = subject
    return _checks.build_trial(path, time, channels, originals, meta, extra=metadata)


# ---------------------------------------------------------------------------------------------
# Writing


def _bids_unit(unit: str) -> tuple[str, float]:
    """The Motion-BIDS ``units`` entry for an SI unit, and the factor file value = SI value x factor."""
    return {"rad": ("deg", 1.0 / DEG), "rad/s": ("deg/s", 1.0 / DEG), "rad/s^2": ("deg/s^2", 1.0 / DEG),
            "N m": ("N.m", 1.0), "1": ("n/a", 1.0)}.get(unit, (unit, 1.0))


def _write_atomically(target: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_bids_motion(
    trial: Trial,
    path: str | Path,
    *,
    task: str | None = None,
    tracking_system: str = "myoreflex",
    tracked_point: str | None = None,
) -> tuple[Path, Path, Path]:
    """Write a Trial as a Motion-BIDS triple: ``*_motion.tsv``, ``*_channels.tsv``, ``*_motion.json``.

    Parameters
    ----------
    trial : the Trial.
    path : the ``*_motion.tsv`` to write (e.g. ``sub-01_task-pendulum_tracksys-gonio_motion.tsv``);
        the sidecars get the same name with ``_channels.tsv`` and ``_motion.json``.
    task : the sidecar's REQUIRED ``TaskName``; default: the file name's ``task-`` entity, else
        the Trial's protocol, else ``"unknown"``.
    tracking_system : the sidecar's REQUIRED ``TrackingSystemName``.
    tracked_point : the ``tracked_point`` of the ``angle`` (default: the Trial's side and joint,
        e.g. ``right_knee``; ``n/a`` for the other channels).

    Returns
    -------
    The three paths written (each to a temporary name, then renamed). The time goes in a first
    ``LATENCY`` channel (s), so an irregular time vector survives; ``SamplingFrequency`` is the
    Trial's ``rate_hz``. :func:`read_bids_motion` reads the triple back to the same channels.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from myoreflex.trial import Channel, Trial
    >>> trial = Trial(time=[0.0, 0.01, 0.02], channels={"angle": Channel([0.1, 0.2, 0.3], "rad")})
    >>> motion, channels, sidecar = write_bids_motion(trial, Path(tempfile.mkdtemp())
    ...                                               / "sub-01_task-pendulum_tracksys-gonio_motion.tsv")
    >>> channels.read_text().splitlines()[2]
    'angle\\tn/a\\tJNTANG\\tn/a\\tdeg'
    >>> round(float(read_bids_motion(motion)["angle"][2]), 6)
    0.3
    """
    target = Path(path)
    if not target.name.endswith("_motion.tsv"):
        raise ParameterError(describe("path", "a file name ending in _motion.tsv (Motion-BIDS)", repr(target.name)))
    if not target.parent.is_dir():
        raise ParameterError(describe("path", "a file in an existing folder", str(target.parent)))
    channels_path, json_path = sidecar_paths(target)
    names = list(trial.channels)
    if tracked_point is None:
        parts = [part for part in (trial.side, trial.joint) if part]
        tracked_point = "_".join(parts) if parts else "n/a"
    rows = [("time", "n/a", "LATENCY", "n/a", "s")]
    columns = [np.asarray(trial.time, float)]
    counts: dict[str, int] = {"LATENCY": 1}
    for name in names:
        unit, factor = _bids_unit(trial.unit(name))
        kind = "JNTANG" if name == "angle" else "MISC"
        if motion_unit(unit) is None:
            raise ParameterError(describe(f"trial channel `{name}`", "a unit Motion-BIDS readers know "
                                          f"({', '.join(sorted({*_checks.UNITS, *MOTION_UNITS}))})", repr(unit)))
        rows.append((name, "n/a", kind, tracked_point if name == "angle" else "n/a", unit))
        columns.append(np.asarray(trial[name], float) * factor)
        counts[kind] = counts.get(kind, 0) + 1
    data = np.column_stack(columns)
    lines = ["\t".join("n/a" if not math.isfinite(v) else repr(float(v)) for v in row) for row in data]
    table = ["\t".join(CHANNEL_COLUMNS)] + ["\t".join(row) for row in rows]
    entity = re.search(r"(?:^|_)task-([0-9A-Za-z]+)", target.name)
    sidecar = {
        "TaskName": task or (entity.group(1) if entity else None) or trial.metadata.get("protocol") or "unknown",
        "TrackingSystemName": tracking_system,
        "SamplingFrequency": float(trial.rate_hz) if trial.rate_hz else float(1.0 / np.median(np.diff(trial.time))),
        "RecordingDuration": float(trial.time[-1] - trial.time[0]),
        "MotionChannelCount": len(rows),
        **{f"{kind}ChannelCount": count for kind, count in counts.items()},
        "SoftwareVersions": "myoreflex",
    }
    _write_atomically(target, "\n".join(lines) + "\n")
    _write_atomically(channels_path, "\n".join(table) + "\n")
    _write_atomically(json_path, json.dumps(sidecar, indent=2) + "\n")
    return target, channels_path, json_path


__all__ = ["CHANNEL_COLUMNS", "CHANNEL_TYPES", "EMG_SUFFIXES", "MOTION_UNITS", "read_bids_emg", "read_bids_motion",
           "write_bids_motion"]
