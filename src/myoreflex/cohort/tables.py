"""A cohort's results table as a ``pandas.DataFrame`` (``data`` extra).

The cohort verbs write one row per subject to ``out`` (``.csv`` or ``.parquet``, column meanings in
:mod:`myoreflex.cohort`) and a provenance record beside it (``<out>.provenance.json``).
:func:`read_table` reads both back: numbers as numbers (CSV included), the quote that guards text
cells against formula injection removed (:func:`myoreflex.io.results.unescape_cell`), and the
provenance in ``frame.attrs["provenance"]`` when the record is there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from myoreflex.errors import ParameterError, describe, require_extra
from myoreflex.io.results import TABLE_SUFFIXES, unescape_cell

TEXT_COLUMNS = ("subject", "file", "condition", "status", "error", "warnings", "protocol", "myoreflex_version")
"""Columns a CSV table holds as text even where a cell looks like a number (subject ``007``)."""


def read_table(path: str | os.PathLike):
    """Read a cohort results table (``.csv`` or ``.parquet``) as a ``pandas.DataFrame``.

    One row per subject in manifest order; empty CSV cells are NaN; the :data:`TEXT_COLUMNS` stay
    text (subject ``007`` is not the number 7); text cells unescaped (module doc); ``frame.attrs["provenance"]``: the run's provenance record (dict), when
    ``<path>.provenance.json`` exists. Needs pandas (``data`` extra) and, for Parquet, pyarrow.

    Raises
    ------
    ParameterError
        A path that is not an existing ``.csv`` or ``.parquet`` file.

    Examples
    --------
    >>> import tempfile
    >>> from myoreflex.io.results import write_table
    >>> path = write_table([{"subject": "s1", "r1": 0.61, "note": "=1+1"}], Path(tempfile.mkdtemp()) / "c.csv")
    >>> frame = read_table(path)
    >>> frame["r1"].dtype.kind, frame.loc[0, "note"]
    ('f', '=1+1')
    """
    pandas = require_extra("pandas", "data")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES or not path.is_file():
        got = repr(suffix or "(none)") if suffix not in TABLE_SUFFIXES else "no such file"
        raise ParameterError(describe(f"cohort table `{path.name}`", "an existing .csv or .parquet file", got))
    if suffix == ".parquet":
        require_extra("pyarrow", "parquet")
        frame = pandas.read_parquet(path)
    else:
        frame = pandas.read_csv(path, dtype={column: str for column in TEXT_COLUMNS})
        frame = frame.rename(columns=unescape_cell)
        for column in frame.columns:
            if not pandas.api.types.is_numeric_dtype(frame[column]) and \
                    not pandas.api.types.is_bool_dtype(frame[column]):
                frame[column] = frame[column].map(unescape_cell, na_action="ignore")
    provenance = path.with_name(path.name + ".provenance.json")
    if provenance.is_file():
        frame.attrs["provenance"] = json.loads(provenance.read_text())
    return frame
