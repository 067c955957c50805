"""Read the analog channels of a C3D file (EMG, dynamometer angle, velocity, torque) through ezc3d.

ezc3d (the ``c3d`` extra) returns analog values with the file's ``ANALOG:OFFSET``, ``SCALE`` and
``GEN_SCALE`` already applied, i.e. in the unit written in ``ANALOG:UNITS``; those factors are kept
in the metadata. Files without point (marker) data, such as dynamometer exports, are read as well.

Units. A channel's unit comes from ``ANALOG:UNITS``, or from ``scales={label: (factor, unit)}``
(``value_in_unit = file_value * factor``), e.g. the Biodex factors ``{"Angle.1": (35.6838, "deg"),
"Torque.1": (-144049.0, "N m")}``, or from ``conversions={channel: Conversion(scale, offset,
unit)}`` (:class:`~myoreflex.io.Conversion`, which also adds an offset). A channel picked as angle,
velocity or torque whose unit is not of that quantity (V without a scale, mm, ...) is an error
naming the conversion to give: a voltage is never passed off as degrees. A picked channel with an
empty or unknown unit and no scale is an error. Channels not picked are kept as ``analog_<label>``
(label lower case, other characters ``_``), in their file unit when it is not known.

Limits: a file above ``max_bytes`` (:data:`MAX_BYTES`, 256 MiB) or whose header declares more
than ``max_samples`` analog samples per channel (:data:`MAX_SAMPLES`, 10 million) is refused
before ezc3d reads it.

Truncation. ezc3d reads a cut file up to its end and rewrites the frame count, so the reader checks
the frame range in the file's own 512-byte header against what was read.

Damaged files. ezc3d is C++: on some damaged parameter sections it crashes the process (a
segmentation fault) or loops, which no ``try`` catches (tests/io/test_fuzz.py found both). The
reader therefore runs ezc3d in a helper process (:mod:`myoreflex.io._isolated`, started once,
reused) and turns a crash, a failure or a read longer than :data:`READ_TIMEOUT_S` (plus a second
per 5 MB) into one :class:`~myoreflex.errors.RecordingError` saying the file is corrupt.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from myoreflex.errors import require_extra
from myoreflex.io import _checks, _isolated
from myoreflex.io._checks import Conversion, fail
from myoreflex.trial import Trial

_PROCESSOR_BIG_ENDIAN = 86  # C3D parameter-section processor type: 84 Intel, 85 DEC, 86 MIPS


MAX_BYTES = _checks.MAX_BYTES
"""Largest C3D file :func:`read_c3d` reads by default (256 MiB); ``max_bytes=`` overrides it."""
MAX_SAMPLES = _checks.MAX_SAMPLES
"""Most analog samples per channel :func:`read_c3d` reads by default (10 million)."""


def _header(path: Path) -> tuple[int, int, int, int] | None:
    """First and last frame (1-based), analog values per frame (all channels) and analog samples
    per frame (one channel), as written in the C3D header, or None if unreadable."""
    with path.open("rb") as handle:
        head = handle.read(512)
        if len(head) < 512:
            return None
        handle.seek(max(head[0] - 1, 0) * 512)
        params = handle.read(4)
    order = ">" if len(params) == 4 and params[3] == _PROCESSOR_BIG_ENDIAN else "<"
    (values_per_frame,) = struct.unpack(order + "H", head[4:6])
    first, last = struct.unpack(order + "HH", head[6:10])
    (per_frame,) = struct.unpack(order + "H", head[18:20])
    return first, last, values_per_frame, per_frame


def _check_declared_samples(path: Path, size: int, max_samples: int) -> None:
    """Refuse, before ezc3d reads anything, a file whose header declares more than ``max_samples``
    analog samples per channel; a header that is not a C3D one, or declares more data than the file
    holds (2 bytes a value at least), is left to ezc3d and the truncation check."""
    head = _header(path)
    with path.open("rb") as handle:
        key = handle.read(2)[1:]
    if head is None or key != b"\x50":
        return
    first, last, values_per_frame, per_frame = head
    if last == 0xFFFF or last < first:
        return
    frames = last - first + 1
    if frames * values_per_frame * 2 > size:
        return
    _checks.check_samples(path, frames * max(per_frame, 1), max_samples,
                          "analog samples per channel (header frames x samples per frame)")


READ_TIMEOUT_S = 30.0
"""Seconds ezc3d may take on a file, plus one second per :data:`READ_RATE` bytes, before the file
is declared corrupt (a damaged parameter section can make it loop)."""
READ_RATE = 5e6

def _load(path: Path, size: int) -> dict:
    """``{"parameters", "header", "data": {"analogs"}}`` as ezc3d reads them, read by the helper
    process (:mod:`myoreflex.io._isolated`) so that a crash or a hang of ezc3d on a damaged file is
    a :class:`RecordingError`."""
    timeout = READ_TIMEOUT_S + size / READ_RATE
    try:
        status, reply = _isolated.parse(_isolated.KIND_C3D, path.read_bytes(), timeout)
    except _isolated.Crashed as crash:
        raise fail(path, None, "a readable C3D file", crash.describe("ezc3d"), "the file is corrupt") from None
    if status != _isolated.OK:
        raise fail(path, None, "a readable C3D file", reply.decode(errors="replace"), "the file is corrupt")
    (length,) = struct.unpack("<Q", reply[:8])
    record = json.loads(reply[8:8 + length])
    record["data"] = {"analogs": np.load(io.BytesIO(reply[8 + length:]), allow_pickle=False)}
    return record


def _values(group: Mapping[str, Any], key: str, default=()) -> list:
    entry = group.get(key)
    if entry is None:
        return list(default)
    value = entry["value"]
    return list(np.ravel(value)) if isinstance(value, np.ndarray) else list(value)


def _per_channel(values: list, count: int, fill: float) -> np.ndarray:
    out = np.full(count, fill, dtype=float)
    if len(values) == 1:
        out[:] = float(values[0])
    else:
        n = min(len(values), count)
        out[:n] = np.asarray(values[:n], dtype=float)
    return out


def read_c3d(
    path: str | Path,
    *,
    angle_channel: str | None = None,
    velocity_channel: str | None = None,
    torque_channel: str | None = None,
    emg_channels: Mapping[str, str] | Sequence[str] | None = None,
    scales: Mapping[str, tuple[float, str]] | None = None,
    angle_sign: float = 1.0,
    torque_sign: float = 1.0,
    conversions: Mapping[str, Conversion] | None = None,
    keep_other_channels: bool = True,
    joint: str | None = None,
    side: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    check_angle_units: bool = True,
    max_bytes: int = MAX_BYTES,
    max_samples: int = MAX_SAMPLES,
) -> Trial:
    """Read the analog channels of a C3D file as a Trial (units as in the module doc).

    Parameters
    ----------
    path : the ``.c3d`` file.
    angle_channel : the analog label exposed as ``angle`` (rad), e.g. ``"Angle.1"``.
    velocity_channel, torque_channel : analog labels exposed as ``angular_velocity`` (rad/s) and
        ``torque`` (N m).
    emg_channels : ``{label: muscle}`` giving ``emg_<muscle>`` (V), or a list of labels (the muscle
        name is then the cleaned label).
    scales : ``{label: (factor, unit)}``, ``value_in_unit = file_value * factor``.
    conversions : ``{channel or label: Conversion(scale, offset, unit)}``: the channel's values
        become ``value * scale + offset`` in ``unit`` (None: its own unit), after ``scales``. A
        picked angle, velocity or torque must end in a unit of that quantity: volts are refused.
    angle_sign : multiplies ``angle`` and ``angular_velocity``; torque_sign multiplies ``torque``.
    keep_other_channels : keep the analog channels not picked above as ``analog_<label>``.
    joint, side, metadata : metadata entries.
    check_angle_units : reject a degree angle that looks like radians (rule in
        :mod:`myoreflex.io._checks`).
    max_bytes : the largest file read (default :data:`MAX_BYTES`, 256 MiB).
    max_samples : the most analog samples per channel (default :data:`MAX_SAMPLES`, 10 million),
        checked against the frame range of the file's header before its data are read.

    Returns
    -------
    Trial at the analog rate; metadata: ``analog_rate``, ``point_rate``, ``point_count``,
    ``point_labels``, ``manufacturer``, ``original_channels`` (label, file unit, factor applied,
    description and the file's SCALE/OFFSET/GEN_SCALE).

    Examples
    --------
    On a Biodex export (``shared/data/kuleuven-biodex-srs-c3d``, outside the repository, and the
    ``c3d`` extra, hence not run here; ``tests/io/test_read_c3d.py`` reads it):

    >>> biodex = {"Angle.1": (35.6838, "deg"), "Torque.1": (-144049.0, "N m")}
    >>> trial = read_c3d("5-20a.c3d", angle_channel="Angle.1", torque_channel="Torque.1",
    ...                  scales=biodex)  # doctest: +SKIP
    >>> trial.unit("torque"), trial.sampling_rate  # doctest: +SKIP
    ('N m', 1000.0)
    """
    require_extra("ezc3d", "c3d")
    path = _checks.check_file(path)
    _checks.check_limits(path, max_bytes, max_samples)
    conversions = _checks.check_conversions(conversions)
    size = _checks.check_size(path, max_bytes)
    _check_declared_samples(path, size, max_samples)
    c3d = _load(path, size)

    params = c3d["parameters"]
    analog = params.get("ANALOG", {})
    labels = [str(label) for label in _values(analog, "LABELS") + _values(analog, "LABELS2")]
    data = np.asarray(c3d["data"]["analogs"], dtype=float)
    if data.ndim != 3 or data.shape[1] == 0 or not labels:
        raise fail(path, None, "analog channels", "none in the file")
    data = data[0]
    if data.shape[0] != len(labels):
        expected = f"{len(labels)} analog channels (ANALOG:LABELS)"
        raise fail(path, None, expected, f"{data.shape[0]} in the data")
    units = [str(unit) for unit in _values(analog, "UNITS") + _values(analog, "UNITS2")]
    units += [""] * (len(labels) - len(units))
    descriptions = [str(d) for d in _values(analog, "DESCRIPTIONS")] + [""] * len(labels)
    analog_rate = float(_values(analog, "RATE", [0.0])[0])
    point_group = params.get("POINT", {})
    point_rate = float(_values(point_group, "RATE", [0.0])[0]) or float(c3d["header"]["points"]["frame_rate"])
    if not analog_rate > 0:
        raise fail(path, "ANALOG:RATE", "a positive analog rate (Hz)", analog_rate)

    declared = _header(path)
    declared = None if declared is None else declared[:2]
    per_frame = analog_rate / point_rate if point_rate > 0 else None
    if declared is not None and per_frame and declared[1] != 0xFFFF:
        expected = int(round((declared[1] - declared[0] + 1) * per_frame))
        if data.shape[1] < expected:
            raise fail(
                path,
                None,
                f"{expected} analog samples per channel (header frames {declared[0]}-{declared[1]})",
                f"{data.shape[1]} (truncated file)",
            )

    def column(label: str, role: str) -> int:
        if label not in labels:
            raise fail(path, label, f"an analog channel among {labels}", f"no such channel (asked as {role})")
        return labels.index(label)

    scales = dict(scales or {})
    for label in scales:
        column(label, "scales key")
    gen_scale = float(_values(analog, "GEN_SCALE", [1.0])[0])
    file_scale = _per_channel(_values(analog, "SCALE", [1.0]), len(labels), 1.0)
    file_offset = _per_channel(_values(analog, "OFFSET", [0.0]), len(labels), 0.0)

    picked: dict[int, tuple[str, str]] = {}  # column -> (channel name, role)
    for label, role, name in (
        (angle_channel, "angle", "angle"),
        (velocity_channel, "angular_velocity", "angular_velocity"),
        (torque_channel, "torque", "torque"),
    ):
        if label is not None:
            picked[column(label, role)] = (name, role)
    if emg_channels is not None:
        if isinstance(emg_channels, Mapping):
            pairs = list(emg_channels.items())
        else:
            pairs = [(label, None) for label in emg_channels]
        for label, muscle in pairs:
            j = column(label, "EMG")
            name = "emg_" + _checks.sanitise_name(muscle or label)
            if j in picked or name in [taken for taken, _ in picked.values()]:
                raise fail(path, label, "each channel picked once, under its own name", f"a second `{name}`")
            picked[j] = (name, "emg")

    time0 = float(c3d["header"]["points"]["first_frame"]) / point_rate if point_rate > 0 else 0.0
    time = time0 + np.arange(data.shape[1]) / analog_rate
    channels, originals = {}, {}
    used_keys: set[str] = set()
    for j, label in enumerate(labels):
        name, role = picked.get(j, (None, None))
        if name is None and not keep_other_channels:
            continue
        if role is None:
            name = "analog_" + _checks.sanitise_name(label)
            suffix = 2
            while name in channels:
                name = f"analog_{_checks.sanitise_name(label)}_{suffix}"
                suffix += 1
        values = data[j]
        file_unit = units[j]
        factor, unit_label = (1.0, file_unit)
        if label in scales:
            factor, unit_label = float(scales[label][0]), scales[label][1]
        conversion = _checks.pick_conversion(conversions, used_keys, name, label)
        if conversion is not None and conversion.unit is not None:
            unit_label = conversion.unit
        known = _checks.lookup_unit(unit_label)
        if role is None:
            si_unit, si_factor = (known[0], known[1]) if known else (unit_label or "unknown", 1.0)
        else:
            if known is None:
                raise fail(
                    path,
                    label,
                    f"a known unit for the {role} channel",
                    f"unit {unit_label!r}",
                    f'give it with scales={{"{label}": (factor, unit)}} or ' + _checks.conversion_hint(name),
                )
            si_unit, si_factor, dimension = known
            if role == "emg":
                if dimension != "voltage":
                    raise fail(path, label, "a voltage unit for the emg channel", f"the file says {unit_label!r}")
            else:
                _checks.require_quantity(path, label, name, unit_label, role)
        in_unit = values * factor
        if conversion is not None:
            conversion.apply(in_unit, inplace=True)
        if role == "angle" and check_angle_units:
            if si_factor != 1.0:
                _checks.check_declared_degrees(path, label, in_unit)
            else:
                _checks.check_declared_radians(path, label, in_unit)
        sign = {"angle": angle_sign, "angular_velocity": angle_sign, "torque": torque_sign}.get(role, 1.0)
        in_unit *= si_factor * sign
        channels[name] = (in_unit, si_unit)
        total = factor * (conversion.scale if conversion else 1.0) * si_factor * sign
        offset = (conversion.offset if conversion else 0.0) * si_factor * sign
        originals[name] = _checks.original(
            label,
            file_unit or "unknown",
            total,
            offset,
            description=descriptions[j],
            file_scale=float(file_scale[j]) * gen_scale,
            file_offset=float(file_offset[j]),
            **_checks.conversion_record(conversion),
        )
    _checks.check_all_used(path, conversions, used_keys, [*labels, *channels])
    originals["time"] = _checks.original("analog frames", "1/ANALOG:RATE", 1.0 / analog_rate)

    manufacturer = params.get("MANUFACTURER", {})
    meta: dict[str, Any] = {
        "format": "c3d",
        "analog_rate": analog_rate,
        "point_rate": point_rate,
        "point_count": int(c3d["header"]["points"]["size"]),
        "point_labels": [str(x) for x in _values(point_group, "LABELS")],
        "manufacturer": {
            key: " ".join(map(str, _values(manufacturer, key)))
            for key in manufacturer
            if not key.startswith("__")
        },
        "angle_sign": angle_sign,
    }
    return _checks.build_trial(path, time, channels, originals, meta, joint=joint, side=side, extra=metadata)
