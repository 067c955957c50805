"""Example adapter: the KU Leuven IPSA MATLAB structs (instrumented passive spasticity assessment).

Each file (``CP4_T0_MEH_L.mat`` ...) holds a struct array ``allsegments``, one element per manual
stretch ("segment"), sampled at 200 Hz: ``t`` (s), ``tc`` (s from peak velocity), ``pos`` (rad),
``vel`` (rad/s), ``force`` (N, hand-held load cell, negative = pushing), ``emgNraw`` and ``emgNrms``
(V) for the muscles in ``muscles``, and the lab's EMG onset ``onsetN`` (1-based sample index, NaN
when none). The lab pipeline is Bar-On et al. 2013 (IPSA); the data are described in
``shared/data/kuleuven-cp-ipsa-pendulum/SOURCE.md``.

Channels of each Trial (one per segment):

- ``angle`` = ``pos`` (rad) and ``angular_velocity`` = ``vel`` (rad/s), times ``angle_sign``. The file
  already follows the myoreflex convention (:mod:`myoreflex.physiology.limb`): knee 0 = full
  extension, positive = flexion; ankle 0 = neutral, positive = dorsiflexion. A knee-extension stretch
  of the hamstrings therefore runs towards negative angles: ``metadata["stretch_direction"]`` is -1
  for ``knee_ext`` and +1 for ``ankle_dorsiflex``.
- ``force`` (N): the load-cell normal force with its sign flipped, so that pushing the limb is
  positive.
- ``torque`` (N m): the torque the examiner applies to the limb, ``stretch_direction * force *
  lever_arm_m``, in the angle convention (so it enters ``I q'' = ... + torque``). The lever arm is the
  distance along the segment from the joint to the load cell, from ``pinfo``:
  ``distance_loadcell_rear_to_knee_<side>`` (knee extension) or ``distance_loadcell_to_ankle_<side>``
  (ankle). Checked against the workshop's inverse-dynamics moments (``ID_segment_{2,16}.sto``): the
  least-squares slope of the knee and ankle moment on the load-cell force is 0.25 and 0.14 m,
  against 0.28 and 0.135 m in ``pinfo``. Without a valid lever arm there is no ``torque``.
- ``emg_<muscle>`` (V): ``emgNraw`` (50 Hz notch-filtered, stored at 200 Hz although acquired at
  1600 Hz); ``emgrms_<muscle>`` (V): ``emgNrms``, the lab's RMS envelope.

Metadata: ``subject`` (lab code), ``joint``, ``side``, ``movement``, ``stretch_speed`` (``low`` /
``high``), ``segment`` (1-based position in the file), ``lab_segment_number``, ``trial_number``,
``stretched_muscles``, ``antagonist_muscles``, ``time_of_peak_velocity`` (s, on the Trial's time),
``peak_velocity`` (rad/s), ``lab_onset_time`` (``{muscle: time in s on the Trial's time axis or
None}``), ``lab_onset_index`` (``{muscle: 0-based sample index or None}``), ``lab_onset_level``
(V), ``emg_mvc_rms``, ``emg_rest_mean``, ``emg_rest_std`` (V), ``lever_arm_m`` and
``lever_arm_field``. Nothing else from ``pinfo`` is read: it holds a birth date, names and body
measures, which never reach a Trial.

Safety: the file is read once into memory (at most ``max_bytes``); a MATLAB v7.3 (HDF5) file is
named as such; the variables' decompressed size is counted before scipy loads them (a compressed
"bomb" is refused before it expands); and scipy's reader, which crashes the process on some damaged
files (found by tests/io/test_fuzz.py), parses the bytes first in a helper process
(:mod:`myoreflex.io._isolated`), where a crash or a hang is a :class:`~myoreflex.errors.RecordingError`.
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from myoreflex.io import _checks, _isolated
from myoreflex.io._checks import Conversion, fail
from myoreflex.trial import Trial

#: movement -> (joint, stretch direction in the myoreflex angle convention, pinfo lever-arm field)
MOVEMENTS = {
    "knee_ext": ("knee", -1.0, "distance_loadcell_rear_to_knee"),
    "knee_flex": ("knee", 1.0, "distance_loadcell_front_to_knee"),
    "ankle_dorsiflex": ("ankle", 1.0, "distance_loadcell_to_ankle"),
    "ankle_plantarflex": ("ankle", -1.0, "distance_loadcell_to_ankle"),
}


MAX_BYTES = _checks.MAX_BYTES
"""Most bytes :func:`read_ipsa` reads by default (256 MiB): the file, and its variables once
decompressed; ``max_bytes=`` overrides it."""
MAX_SAMPLES = _checks.MAX_SAMPLES
"""Most samples per segment :func:`read_ipsa` reads by default (10 million); ``max_samples=``."""

READ_TIMEOUT_S = 30.0
"""Seconds scipy may take on a file (plus one per :data:`READ_RATE` bytes) before it is declared corrupt."""
READ_RATE = 5e6

_MI_MATRIX, _MI_COMPRESSED = 14, 15
_BLOCK = 1 << 20


def _decompressed_bytes(data: bytes, budget: int) -> int | None:
    """Bytes the variables of a MATLAB v5/v7 file take once decompressed, counted without keeping
    them (a compressed variable is inflated 1 MiB at a time and thrown away); counting stops as soon
    as ``budget`` is passed. None when the file's element tags are not readable (scipy then says
    what is wrong)."""
    if len(data) < 128:
        return None
    order = "<" if data[126:128] == b"IM" else ">"
    total, at = 0, 128
    while total <= budget:
        if at + 8 > len(data):
            return total
        mdtype, nbytes = struct.unpack_from(order + "II", data, at)
        at += 8
        if mdtype >> 16:  # a small data element at the top level: not a variable
            return None
        if mdtype != _MI_COMPRESSED:
            total += max(0, min(nbytes, len(data) - at))
            at += nbytes
            continue
        inflate = zlib.decompressobj()
        end = min(at + nbytes, len(data))
        try:
            while at < end and total <= budget:
                block = data[at:min(at + _BLOCK, end)]
                at += len(block)
                while block and total <= budget:
                    total += len(inflate.decompress(block, _BLOCK))
                    block = inflate.unconsumed_tail
        except zlib.error:
            return None
        at = end
    return total


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
"""First 8 bytes of an HDF5 superblock (HDF5 File Format Specification 3.0, section II.A)."""


def is_hdf5_mat(data: bytes) -> bool:
    """True for a MATLAB v7.3 file: HDF5 with MATLAB's 512-byte user block.

    HDF5 looks for its signature at offset 0, 512, 1024, 2048, ... (HDF5 File Format Specification
    3.0, section II.A); MATLAB's v7.3 files put a 128-byte text header ("MATLAB 7.3 MAT-file")
    in a 512-byte user block, so their signature sits at 512. The header text alone, or the
    signature at 0 (an HDF5 file saved by h5py under a .mat name), are taken as HDF5 too.
    """
    return (data[:19] == b"MATLAB 7.3 MAT-file" or data[:8] == HDF5_SIGNATURE
            or data[512:520] == HDF5_SIGNATURE)


def _load(path: Path, max_bytes: int):
    import scipy.io
    from scipy.io.matlab import matfile_version

    data = path.read_bytes()  # at most max_bytes (checked); parsed from memory, never read twice
    if is_hdf5_mat(data):
        raise fail(path, None, "a MATLAB v5-v7 .mat file (what scipy reads)", "a MATLAB v7.3 file, which is HDF5",
                   "save it again in MATLAB with save(name, '-v7'), or read it with an HDF5 library (h5py)")
    try:
        version = matfile_version(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - scipy raises MatReadError, ValueError, IndexError... on non-MATLAB files
        got = f"{type(exc).__name__}: {exc}"
        raise fail(path, None, "a readable MATLAB .mat file", got, "the file is corrupt") from None
    if version[0] == 2:
        raise fail(path, None, "a MATLAB v5-v7 .mat file (what scipy reads)", "a MATLAB v7.3 file, which is HDF5",
                   "save it again in MATLAB with save(name, '-v7'), or read it with an HDF5 library (h5py)")
    if version[0] == 1:
        expanded = _decompressed_bytes(data, max_bytes)
        if expanded is not None and expanded > max_bytes:
            raise fail(path, None, f"MATLAB variables of at most {_checks._size_text(max_bytes)} once decompressed "
                       f"(max_bytes={max_bytes})", f"more than {_checks._size_text(max_bytes)} (the compressed "
                       f"file is {_checks._size_text(len(data))})",
                       "pass a larger max_bytes= to read it, if the machine has the memory")
    # scipy's reader crashes the process (SIGSEGV) on some damaged files: it parses them first in the
    # helper process, where a crash is only an error, then here (the same bytes, known not to crash)
    try:
        _isolated.parse(_isolated.KIND_MAT, data, READ_TIMEOUT_S + len(data) / READ_RATE)  # its errors: below
    except _isolated.Crashed as crash:
        raise fail(path, None, "a readable MATLAB .mat file", crash.describe("scipy's MATLAB reader"),
                   "the file is corrupt") from None
    try:
        contents = scipy.io.loadmat(io.BytesIO(data), squeeze_me=True, struct_as_record=False)
    except Exception as exc:  # noqa: BLE001 - scipy raises ValueError, TypeError, MatReadError... on bad files
        got = f"{type(exc).__name__}: {exc}"
        raise fail(path, None, "a readable MATLAB .mat file", got, "the file is corrupt") from None
    if "allsegments" not in contents:
        keys = sorted(k for k in contents if not k.startswith("__"))
        raise fail(path, "allsegments", "an IPSA struct array `allsegments`", f"variables {keys}")
    segments = np.atleast_1d(contents["allsegments"])
    if segments.size == 0:
        raise fail(path, "allsegments", "at least one segment", "an empty struct array")
    return segments


def _field(path, segment, index: int, name: str, required: bool = True):
    if hasattr(segment, name):
        return getattr(segment, name)
    if required:
        raise fail(path, f"allsegments({index}).{name}", "this field in every IPSA segment", "missing")
    return None


def _text(value) -> str:
    if isinstance(value, str):
        return value
    array = np.asarray(value)
    return "" if array.size == 0 else str(array.ravel()[0])


def _number(value) -> float | None:
    """The first number of a MATLAB value; None when it is empty, NaN or not a number."""
    try:
        array = np.asarray(value, dtype=float).ravel()
    except (TypeError, ValueError):
        return None
    if array.size == 0 or not np.isfinite(array[0]):
        return None
    return float(array[0])


def _numbers(path, where: str, value) -> np.ndarray:
    """A MATLAB field as a flat float vector; text, structs and cells raise naming the field."""
    try:
        return np.asarray(value, dtype=float).ravel()
    except (TypeError, ValueError):
        raise fail(path, where, "a numeric vector", f"a {type(value).__name__} value") from None


def _lever_arm(path, segment, index: int, field: str | None, side: str, override: float | None):
    if override is not None:
        return float(override), "lever_arm_m argument"
    pinfo = _field(path, segment, index, "pinfo", required=False)
    if pinfo is None or field is None:
        return None, None
    name = f"{field}_{side}"  # only the lever-arm fields of MOVEMENTS are ever read from pinfo
    value = _number(getattr(pinfo, name, np.nan))
    if value is None or not 0.0 < value < 1.0:  # -9999 marks a missing value in these files
        return None, name
    return value, name


def _segment_trial(path: Path, segment, index: int, lever_arm_m: float | None, angle_sign: float,
                   conversions: dict[str, Conversion], used: set, max_samples: int) -> Trial:
    where = f"allsegments({index})"
    time = _numbers(path, f"{where}.t", _field(path, segment, index, "t"))
    _checks.check_samples(path, time.size, max_samples, f"samples in {where}")
    n = time.size
    channels: dict[str, tuple[np.ndarray, str]] = {}
    originals: dict[str, dict] = {}

    def add(channel: str, values: np.ndarray, unit: str, field: str, sign: float = 1.0, *keys: str, **extra):
        """The channel from its values in ``unit``, after the user's conversion, in SI times ``sign``."""
        conversion = _checks.pick_conversion(conversions, used, channel, *keys)
        label = unit
        if conversion is not None:
            values = conversion.apply(values)
            if conversion.unit is not None:
                label = conversion.unit
        si_unit, factor, dimension = _checks.require_unit(path, f"{where}.{field}", label)
        wanted = _checks.lookup_unit(unit)[2]
        if dimension != wanted:
            if channel in ("angle", "angular_velocity", "torque"):
                _checks.require_quantity(path, f"{where}.{field}", channel, label, channel)
            raise fail(path, f"{where}.{field}", f"a {wanted} unit for the `{channel}` channel", label)
        channels[channel] = (values * (factor * sign), si_unit)
        scale = (conversion.scale if conversion else 1.0) * factor * sign
        offset = (conversion.offset if conversion else 0.0) * factor * sign
        originals[channel] = _checks.original(f"{where}.{field}", unit, scale, offset,
                                              **extra, **_checks.conversion_record(conversion))

    def signal(name: str) -> np.ndarray:
        values = _numbers(path, f"{where}.{name}", _field(path, segment, index, name))
        if values.size != n:
            raise fail(path, f"{where}.{name}", f"{n} samples (as `t`)", values.size)
        return values

    add("time", time, "s", "t", 1.0, "t")
    time = channels.pop("time")[0]
    time_original = originals.pop("time")
    _checks.check_time(path, f"{where}.t", time)
    movement = _text(_field(path, segment, index, "joint_name"))
    side = _text(_field(path, segment, index, "side_name")).strip().lower()
    speed = _text(_field(path, segment, index, "meas_type")).strip().lower()
    muscles = [str(m).strip().lower() for m in np.atleast_1d(_field(path, segment, index, "muscles"))]
    pos, vel, force = signal("pos"), signal("vel"), signal("force")
    peak = int(np.argmax(np.abs(vel)))
    tc = _field(path, segment, index, "tc", required=False)
    tc = None if tc is None else _numbers(path, f"{where}.tc", tc)
    if tc is not None and tc.size == n and np.all(np.isfinite(tc)):
        peak = int(np.argmin(np.abs(tc)))
    joint, direction, lever_field = MOVEMENTS.get(
        movement, (movement.split("_")[0] or "unknown", float(np.sign(vel[peak]) or 1.0), None)
    )
    arm, arm_field = _lever_arm(path, segment, index, lever_field, side, lever_arm_m)

    add("angle", pos, "rad", "pos", angle_sign, "pos")
    add("angular_velocity", vel, "rad/s", "vel", angle_sign, "vel")
    add("force", -force, "N", "force", 1.0, "force")  # pushing the limb positive
    originals["force"]["scale"] *= -1.0  # of the file's force
    originals["time"] = time_original
    if arm is not None:
        add("torque", force * (-direction * arm), "N m", "force", angle_sign, lever_arm=arm)

    onset_time, onset_index, onset_level, mvc, rest_mean, rest_std = {}, {}, {}, {}, {}, {}
    calib = _field(path, segment, index, "emgcalib", required=False)
    for k, muscle in enumerate(muscles, start=1):
        for kind, prefix in (("raw", "emg_"), ("rms", "emgrms_")):
            add(prefix + muscle, signal(f"emg{k}{kind}"), "V", f"emg{k}{kind}", 1.0, f"emg{k}{kind}")
        raw_onset = _field(path, segment, index, f"onset{k}", required=False)
        onsets = np.empty(0) if raw_onset is None else _numbers(path, f"{where}.onset{k}", raw_onset)
        if onsets.size > 1:
            raise fail(path, f"{where}.onset{k}", "one 1-based sample index or NaN", f"{onsets.size} values")
        onset = _number(onsets)
        if onset is not None and (onset != round(onset) or not 1 <= onset <= n):
            raise fail(path, f"{where}.onset{k}", f"a 1-based sample index in 1..{n} or NaN", onset)
        onset_index[muscle] = None if onset is None else int(onset) - 1
        onset_time[muscle] = None if onset is None else float(time[int(onset) - 1])
        onset_level[muscle] = _number(_field(path, segment, index, f"level{k}", required=False))
        if calib is not None:
            mvc[muscle] = _number(getattr(calib, f"active_maxrms_emg{k}", np.nan))
            rest_mean[muscle] = _number(getattr(calib, f"rest_mean_emg{k}", np.nan))
            rest_std[muscle] = _number(getattr(calib, f"rest_std_emg{k}", np.nan))

    def named(field: str) -> list[str]:
        picks = _field(path, segment, index, field, required=False)
        if picks is None:
            return []
        return [muscles[int(i) - 1] for i in np.atleast_1d(picks) if 1 <= int(i) <= len(muscles)]

    info = _field(path, segment, index, "info", required=False)
    meta: dict[str, Any] = {
        "format": "ipsa",
        "subject": _text(_field(path, segment, index, "patient_number", required=False) or ""),
        "joint": joint,
        "side": side,
        "movement": movement,
        "stretch_speed": speed,
        "segment": index + 1,
        "stretch_direction": direction * angle_sign,
        "angle_sign": angle_sign,
        "stretched_muscles": named("agonists"),
        "antagonist_muscles": named("antagonists"),
        "muscles": muscles,
        "time_of_peak_velocity": float(time[peak]),
        "peak_velocity": float(channels["angular_velocity"][0][peak]),
        "lab_onset_time": onset_time,
        "lab_onset_index": onset_index,
        "lab_onset_level": onset_level,
        "lever_arm_m": arm,
        "lever_arm_field": arm_field,
    }
    if calib is not None:
        meta.update(emg_mvc_rms=mvc, emg_rest_mean=rest_mean, emg_rest_std=rest_std)
    if info is not None:
        for key, target in (
            ("segment_number", "lab_segment_number"),
            ("trial_number", "trial_number"),
            ("meas_name", "measurement_name"),
            ("emg_rate", "emg_acquisition_rate"),
            ("movement_rate", "movement_rate"),
            ("measurement_quality", "measurement_quality"),
            ("patient_relaxation", "patient_relaxation"),
        ):
            if hasattr(info, key):
                value = getattr(info, key)
                number = _number(value) if not isinstance(value, str) else None
                meta[target] = value if isinstance(value, str) else number
                if isinstance(number, float) and number.is_integer():
                    meta[target] = int(number)
    notch = _field(path, segment, index, "is_emgraw_prefiltered_notch_50Hz", required=False)
    if notch is not None:
        meta["emg_notch_50hz"] = bool(_number(notch))
    if arm is None and arm_field is not None:
        meta["lever_arm_note"] = f"`{arm_field}` missing or invalid: no torque channel"
    return _checks.build_trial(path, time, channels, originals, meta)


def read_ipsa(
    path: str | Path,
    *,
    lever_arm_m: float | None = None,
    angle_sign: float = 1.0,
    conversions: Mapping[str, Conversion] | None = None,
    max_bytes: int = MAX_BYTES,
    max_samples: int = MAX_SAMPLES,
) -> list[Trial]:
    """Read a KU Leuven IPSA ``.mat`` file: one Trial per stretch segment (fields in the module doc).

    Parameters
    ----------
    path : the ``.mat`` file with the struct array ``allsegments``.
    lever_arm_m : joint-to-load-cell distance (m) overriding the one in ``pinfo``.
    angle_sign : multiplies ``angle``, ``angular_velocity``, ``torque`` and ``stretch_direction``.
    conversions : ``{channel or field: Conversion(scale, offset, unit)}`` applied to every
        segment: the channel as the reader builds it (``angle`` = ``pos`` in rad, ``force``
        pushing positive in N, ``torque`` in N m, ``emg_<muscle>`` in V; before ``angle_sign``)
        becomes ``value * scale + offset`` in ``unit``, which must be of the same quantity.
    max_bytes : the most bytes read, of file and of variables once decompressed (default
        :data:`MAX_BYTES`, 256 MiB): a compressed file that would expand past it is refused
        before it is loaded.
    max_samples : the most samples per segment (default :data:`MAX_SAMPLES`, 10 million).

    Returns
    -------
    list of Trial, in file order; ``metadata["segment"]`` is the 1-based position.

    Raises
    ------
    RecordingError
        Unreadable or truncated file, a MATLAB v7.3 (HDF5) file, a file beyond ``max_bytes``, no
        ``allsegments``, a missing field, NaN gaps, time not increasing, an onset index outside
        the segment.

    Examples
    --------
    On a file of the KU Leuven data (``shared/data/kuleuven-cp-ipsa-pendulum``, outside the
    repository, hence not run here; ``tests/io/test_read_ipsa.py`` reads it):

    >>> trials = read_ipsa("CP4_T0_PF_R.mat")  # doctest: +SKIP
    >>> [t.stretch_speed for t in trials][:2], trials[0].unit("torque")  # doctest: +SKIP
    (['low', 'low'], 'N m')
    """
    path = _checks.check_file(path)
    _checks.check_limits(path, max_bytes, max_samples)
    conversions = _checks.check_conversions(conversions)
    if not isinstance(angle_sign, (int, float)) or not math.isfinite(angle_sign) or angle_sign == 0:
        raise fail(path, "angle_sign", "a non-zero finite sign", angle_sign)
    _checks.check_size(path, max_bytes)
    used: set[str] = set()
    trials = [_segment_trial(path, segment, i, lever_arm_m, float(angle_sign), conversions, used, max_samples)
              for i, segment in enumerate(_load(path, max_bytes))]
    _checks.check_all_used(path, conversions, used, [*trials[0].channels, "time"])
    return trials
