"""Readers: recordings in, :class:`~myoreflex.trial.Trial` out, channels in SI units.

Every reader is ``read_<format>(path, ...)``; :func:`read_trial` picks one by the file suffix.
Each Trial's ``metadata`` holds ``source`` (the file name), ``format``, ``rate`` (Hz) and
``original_channels`` (``{channel: {"name", "unit", "scale", ...}}``, SI value = file value x
scale). Bad input raises :class:`~myoreflex.errors.RecordingError` naming the file, the channel and
what was expected. Readers only read.

=================  ===================================  ==========================================
suffix             reader                               returns
=================  ===================================  ==========================================
``.csv``, ``.txt``  :func:`read_csv`                     Trial
``.mot``, ``.sto``  :func:`read_opensim`                 Trial
``.c3d``           :func:`read_c3d` (``c3d`` extra)     Trial
``.mat``           :func:`read_ipsa` (KU Leuven IPSA)   list of Trial, one per stretch segment
=================  ===================================  ==========================================
"""

from __future__ import annotations

from pathlib import Path

from myoreflex.errors import RecordingError, describe
from myoreflex.io._checks import UnitWarning
from myoreflex.io.c3d import read_c3d
from myoreflex.io.csv import read_csv
from myoreflex.io.ipsa import read_ipsa
from myoreflex.io.opensim import read_opensim
from myoreflex.trial import Trial

READERS = {
    ".csv": read_csv,
    ".txt": read_csv,
    ".tsv": read_csv,
    ".mot": read_opensim,
    ".sto": read_opensim,
    ".c3d": read_c3d,
    ".mat": read_ipsa,
}


def read_trial(path: str | Path, **kwargs) -> Trial | list[Trial]:
    """Read a recording with the reader for its suffix (table in the module doc).

    Keyword arguments go to that reader. ``.mat`` files give a list of Trials (IPSA segments).

    Examples
    --------
    >>> trial = read_trial("ref_data_0_1_v10.csv")  # doctest: +SKIP
    >>> trial.unit("torque")  # doctest: +SKIP
    'N m'
    """
    suffix = Path(path).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise RecordingError(
            describe(f"`{Path(path).name}`", f"a suffix among {sorted(READERS)}", repr(suffix or "(none)"))
        )
    return reader(path, **kwargs)


__all__ = ["READERS", "UnitWarning", "read_c3d", "read_csv", "read_ipsa", "read_opensim", "read_trial"]
