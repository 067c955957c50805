"""Readers: recordings in, :class:`~myoreflex.trial.Trial` out, channels in SI units.

Every reader is ``read_<format>(path, ...)``; :func:`read_trial` picks one by the file suffix (the
:data:`READERS` registry) and returns one Trial, :func:`read_trials` returns every Trial of a file
(the segments of a multi-segment file, or a list of one). Readers share one vocabulary of options:
``angle_channel`` (the file's column, coordinate or analog label exposed as the ``angle``
channel), ``angle_sign``, ``joint``, ``side`` and ``metadata`` where the format has them. Each
Trial's metadata holds the standard keys of :class:`~myoreflex.trial.Trial` the file gives
(``source`` = the file name, ``format``, ``rate_hz``, ``joint``, ``side``, ``subject``, ...) and
``original_channels`` (``{channel: {"name", "unit", "scale", ...}}``, SI value = file value x
scale). Bad input raises :class:`~myoreflex.errors.RecordingError` naming the file, the channel and
what was expected. Readers only read; the writers are :func:`write_trial` and :func:`write_bids_motion`.

===================  ===========================================  ========================================
file name ends in    reader                                       gives
===================  ===========================================  ========================================
``.csv``, ``.txt``   :func:`read_csv`                             one Trial
``.tsv``             :func:`read_csv`                             one Trial
``_motion.tsv``      :func:`read_bids_motion` (Motion-BIDS)       one Trial (sidecars next to it)
``_emg.edf``, .bdf   :func:`read_bids_emg` (``bids-emg`` extra)   one Trial (EMG-BIDS)
``.mot``, ``.sto``   :func:`read_opensim`                         one Trial
``.c3d``             :func:`read_c3d` (``c3d`` extra)             one Trial
``.mat``             :func:`read_ipsa` (KU Leuven IPSA)           one Trial per stretch segment
``.parquet``         :func:`read_parquet` (``parquet`` extra)      one Trial (as :func:`write_trial` wrote it)
===================  ===========================================  ========================================

:func:`write_trial` writes a Trial to ``.csv``, OpenSim ``.mot`` or ``.parquet`` (round trips exact
but for the ``.mot``'s degrees); :func:`write_bids_motion` writes a Motion-BIDS triple that
:func:`read_bids_motion` reads back.

Units from the user
-------------------
Every reader takes ``conversions={key: Conversion(scale=1.0, offset=0.0, unit=None)}``
(:class:`Conversion`, frozen): the file's values of that channel are multiplied by ``scale``,
``offset`` is added, and the result is read in ``unit`` (a unit label such as ``deg``, ``rad``,
``N m``, ``mV``; None: the file's own unit), then converted to SI like any other value; sign options
(``angle_sign``, ``torque_sign``) apply last. The key is the Trial channel (``angle``, ``torque``,
``angular_velocity``, ``emg_<muscle>``, ``time``, ...) or the file's own column or label
(``knee_V``, ``Angle.1``, ``knee_angle_r``); a key that matches nothing is an error. A channel that
must be an angle, an angular velocity or a torque and whose unit, after conversion, is not one
(volts from a goniometer, say) is refused with a :class:`~myoreflex.errors.RecordingError` naming
the file, the channel, the unit and the conversion to pass; nothing is ever kept in volts and
measured as radians. ``metadata["original_channels"][channel]`` records the conversion and the
total ``scale`` and ``offset`` (SI value = file value x scale + offset). On the command line,
``--scale CHANNEL=X --offset CHANNEL=Y --unit CHANNEL=U`` build the same mapping
(:func:`parse_conversions`).

>>> import tempfile
>>> from pathlib import Path
>>> path = Path(tempfile.mkdtemp()) / "gonio.csv"
>>> _ = path.write_text("time_s,knee_angle_V\\n0.0,0.5\\n0.1,1.0\\n0.2,1.5\\n")
>>> trial = read_trial(path, conversions=parse_conversions(scale=["angle=20"], offset=["angle=-10"],
...                                                       unit=["angle=deg"]))
>>> [round(float(v), 1) for v in trial["angle"] * 180 / 3.141592653589793]
[0.0, 10.0, 20.0]

Limits
------
Every reader refuses, before reading the data, a file above ``max_bytes`` and a recording of more
than ``max_samples`` samples per channel (keywords of every reader; defaults in each module's
``MAX_BYTES`` and ``MAX_SAMPLES``: 256 MiB and 10 million). CSV and .mot/.sto files are read in
blocks and parsed in chunks straight into NumPy (about 3x the file's size in memory); a MATLAB
file's variables are measured decompressed before scipy loads them (a compressed "bomb" is refused
before it expands; ``max_bytes`` bounds the decompressed size) and a v7.3 (HDF5) file is named as
such; a C3D file's header frame count is checked before ezc3d reads it, in a child process that a
damaged file cannot crash.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from myoreflex.errors import ParameterError, RecordingError, describe
from myoreflex.io._checks import MAX_BYTES, MAX_SAMPLES, Conversion, parse_conversions
from myoreflex.io.bids import read_bids_emg, read_bids_motion, write_bids_motion
from myoreflex.io.c3d import read_c3d
from myoreflex.io.csv import read_csv
from myoreflex.io.ipsa import read_ipsa
from myoreflex.io.motor_units import read_discharge_times
from myoreflex.io.opensim import read_opensim
from myoreflex.io.pendulum import read_pendulum
from myoreflex.io.writers import read_parquet, write_trial
from myoreflex.registry import Registry
from myoreflex.trial import Trial

READERS = Registry("reader", {
    ".csv": read_csv,
    ".txt": read_csv,
    ".tsv": read_csv,
    "_motion.tsv": read_bids_motion,
    "_emg.edf": read_bids_emg,
    "_emg.bdf": read_bids_emg,
    ".mot": read_opensim,
    ".sto": read_opensim,
    ".c3d": read_c3d,
    ".mat": read_ipsa,
    ".parquet": read_parquet,
}, error=RecordingError)
"""The reader of each file suffix (lower case); a key that starts with ``_`` is a name ending
(a BIDS suffix, ``_motion.tsv``) and wins over the plain suffix."""


def reader_for(path: str | Path):
    """The reader of a file: the longest name ending in :data:`READERS` (``_motion.tsv``), else its
    suffix; an unknown suffix raises :class:`~myoreflex.errors.RecordingError` listing the known ones."""
    name = Path(path).name.lower()
    endings = sorted((key for key in READERS if key.startswith("_") and name.endswith(key)), key=len, reverse=True)
    if endings:
        return READERS.lookup(endings[0])
    suffix = Path(path).suffix.lower()
    if suffix not in READERS:
        raise RecordingError(describe(f"`{Path(path).name}`", f"a suffix among {sorted(READERS)}",
                                      repr(suffix or "(none)")))
    return READERS.lookup(suffix)


def read_trials(path: str | Path, **options) -> list[Trial]:
    """Every Trial of a recording, read by the reader of its suffix (table in the module doc).

    ``options`` go to that reader; one it does not take raises
    :class:`~myoreflex.errors.ParameterError` listing those it takes. A multi-segment file (IPSA
    ``.mat``) gives one Trial per segment, any other file a list of one.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "stretch.csv"
    >>> _ = path.write_text("time_s,elbow_angle_deg,torque_Nm\\n0.0,80,1.0\\n0.1,90,1.5\\n0.2,100,2.5\\n")
    >>> [trial.unit("torque") for trial in read_trials(path)]
    ['N m']
    """
    name = Path(path).name
    reader = reader_for(path)
    taken = [p.name for p in inspect.signature(reader).parameters.values() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(taken))
    if unknown:
        raise ParameterError(describe(f"options for `{name}` ({reader.__name__})", f"names among {taken}",
                                      ", ".join(unknown)))
    got = reader(path, **options)
    return list(got) if isinstance(got, list) else [got]


def read_trial(path: str | Path, **options) -> Trial:
    """One recording as a Trial, read by the reader of its suffix (table in the module doc).

    ``options`` as :func:`read_trials`. A file with several segments (IPSA ``.mat``) raises
    :class:`~myoreflex.errors.RecordingError`: read it with :func:`read_trials`.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "pendulum.csv"
    >>> _ = path.write_text("time_s,knee_angle_deg\\n0.00,10\\n0.01,12\\n0.02,15\\n")
    >>> trial = read_trial(path, angle_sign=-1)
    >>> trial.unit("angle"), trial.format, trial.rate_hz, round(float(trial["angle"][0]), 4)
    ('rad', 'csv', 100.0, -0.1745)
    """
    trials = read_trials(path, **options)
    if len(trials) != 1:
        raise RecordingError(describe(f"`{Path(path).name}`", "one recording", f"{len(trials)} segments",
                                      "read every segment with myoreflex.io.read_trials"))
    return trials[0]


__all__ = ["MAX_BYTES", "MAX_SAMPLES", "READERS", "Conversion", "parse_conversions", "read_bids_emg", "read_bids_motion", "read_c3d",
           "read_csv", "read_discharge_times", "read_ipsa", "read_opensim", "read_parquet", "read_pendulum", "read_trial", "read_trials", "reader_for",
           "write_bids_motion", "write_trial"]
