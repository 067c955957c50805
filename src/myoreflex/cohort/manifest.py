"""Cohort manifests: rows of subjects, read from CSV or given by hand, checked once, and the batched
parameters of virtual subjects.

A manifest is a CSV file with a ``subject`` column (unique ids) and either ``file`` (recordings;
several per subject separated by ``;`` for fits; relative to the manifest's folder) or
``condition, severity, body_mass_kg, height_m`` (virtual subjects), optional ``seed`` and, for
virtual subjects, dotted parameter paths (``motoneuron.gain``) that override the preset for a row.
Body mass and height are checked against :data:`myoreflex.physiology.limb.BODY_MASS_BOUNDS_KG` and
:data:`~myoreflex.physiology.limb.HEIGHT_BOUNDS_M`, declared once for every place a person is given.

Optional subject columns (:data:`SUBJECT_COLUMNS`, any manifest): ``age_years`` (2-100 years) and
``sex`` (``female`` or ``male``), empty cells meaning unknown. A virtual subject's empty
``body_mass_kg`` or ``height_m`` cell is filled from them by the CDC 2000 growth-chart medians
(:meth:`myoreflex.subjects.Subject.resolved`; the reference adult, 75 kg and 1.75 m, when age and
sex are unknown too), and the validated row carries the filled value. Each virtual subject's
parameters are :func:`myoreflex.subjects.subject_params` of its row (muscles and passive tissue
scaled to the body).

Columns that would be echoed and ignored are refused before any work: a model-variant choice
(``spindle``, ``tendon``, ``feedback``, ``spindle_model``, ``reflex_mode``, any ``*_model``,
``*_mode`` or ``*_variant``: variants are chosen for a whole run with ``default_params(spindle=,
tendon=, feedback=)``, not per row) and, for virtual subjects, a column naming a structural field
or a whole part of the parameters (``joint``, ``muscle_names``, ``spindle.bag1``): only numeric
parameters (``myoreflex params``) can be set per row.

:func:`read_manifest` returns a :class:`Manifest`, the rows together with the file they came from,
so that the cohort verbs know the manifest's folder (recordings must lie inside it unless
``allow_outside=True``) and never write their results over it.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import numpy as np

from myoreflex.conditions import CONDITIONS, apply_conditions
from myoreflex.errors import ParameterError, checked_number, describe
from myoreflex.model import JOINTS, default_params
from myoreflex.params import get_param, has_param, parameter_table, with_overrides
from myoreflex.physiology.limb import BODY_MASS_BOUNDS_KG, HEIGHT_BOUNDS_M

VIRTUAL_COLUMNS = ("condition", "severity", "body_mass_kg", "height_m")
SUBJECT_COLUMNS = ("age_years", "sex")
"""Optional columns of any manifest: the subject's age (years) and sex (module doc)."""
FILE_SEPARATOR = ";"
"""Separates the recordings of one subject in a manifest's ``file`` cell (:func:`cohort_fit`)."""

VARIANT_KINDS = ("spindle", "tendon", "feedback")
"""Model-variant choices of :func:`myoreflex.model.default_params`: one per run, never a column."""
_VARIANT_PARTS = {"spindle", "spindles", "tendon", "tendons", "feedback", "reflex", "motoneuron", "muscle"}
_VARIANT_WORDS = {"model", "models", "mode", "variant", "variants", "type", "choice", "kind"}


class Manifest(list):
    """Validated cohort rows (a list of dicts) that remember the manifest file they were read from."""

    def __init__(self, rows, path: str | Path):
        super().__init__(rows)
        self.path = Path(path)

    @property
    def folder(self) -> Path:
        """The manifest's folder: relative recordings are resolved, and must stay, inside it."""
        return self.path.parent


def override_paths(columns) -> list[str]:
    return [c for c in columns if "." in c]


def _variant_column(column: str) -> bool:
    """``spindle``, ``tendon``, ``feedback``, ``variant`` or a part word with a choice word
    (``spindle_model``, ``reflex_mode``, ``tendon_type``); ``device_model`` is subject data."""
    name = column.strip().lower()
    words = {w for w in re.split(r"[^a-z0-9]+", name) if w}
    return "." not in name and (name in (*VARIANT_KINDS, "variant", "variants")
                                or bool(words & _VARIANT_PARTS and words & _VARIANT_WORDS))


def _check_columns(columns: Sequence[str], source: str, joint: str, recordings: bool) -> None:
    """Refuse columns that would be echoed into the results but change nothing (module doc)."""
    for column in columns:
        if _variant_column(column):
            raise ParameterError(describe(
                f"`{source}`, column `{column}`", "subject data or a numeric parameter path (a model "
                "variant is not a per-row choice)", "a model-variant column",
                "variants are chosen for the whole run with default_params(spindle=, tendon=, feedback=); "
                "a cohort runs the default variants, so remove the column"))
    if recordings:
        return
    preset = default_params(joint)
    numeric = {row.path for row in parameter_table(preset)}
    for column in columns:
        if column in VIRTUAL_COLUMNS or column in SUBJECT_COLUMNS or column in ("subject", "seed"):
            continue
        path = column.strip()
        if path in numeric or not has_param(preset, path):
            continue
        hint = ("the joint is one per run (joint=, --joint)" if path == "joint"
                else "see `myoreflex params` for the numeric paths")
        raise ParameterError(describe(f"`{source}`, column `{column}`", "a numeric parameter path (a number "
                                      "with unit and bounds)", "a structural (static) field or a whole part of "
                                      "the parameters", hint))


def _parameter_bounds(joint: str) -> dict[str, tuple[tuple[float, float], str]]:
    return {row.path: (row.bounds, row.unit) for row in parameter_table(default_params(joint))}


_number = checked_number  # the manifest's cells: a finite number in range, or one line naming the cell


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _subject_cells(row: Mapping[str, Any], where) -> dict:
    """The row's ``age_years`` and ``sex`` checked (None when empty), only for the columns it has."""
    from myoreflex.subjects import AGE_BOUNDS_YEARS, SEXES

    cells = {}
    if "age_years" in row:
        low, high = AGE_BOUNDS_YEARS
        cells["age_years"] = None if _empty(row["age_years"]) else _number(
            row["age_years"], where("age_years"), f"an age in years in [{low:g}, {high:g}], or empty",
            low=low, high=high)
    if "sex" in row:
        sex = row["sex"]
        if not _empty(sex) and str(sex).strip() not in SEXES:
            raise ParameterError(describe(where("sex"), " or ".join(SEXES) + ", or empty", repr(sex)))
        cells["sex"] = None if _empty(sex) else str(sex).strip()
    return cells


def row_subject(row: Mapping[str, Any]):
    """The :class:`myoreflex.subjects.Subject` of a validated row (columns it lacks are unknown)."""
    from myoreflex.subjects import Subject

    return Subject(**{name: row.get(name) for name in ("age_years", "sex", "body_mass_kg", "height_m")})


def validate_rows(
    rows: Sequence[Mapping[str, Any]],
    *,
    source: str = "rows",
    base: str | Path | None = None,
    joint: str = "knee",
    first_line: int | None = None,
) -> list[dict]:
    """Check cohort rows and return normalised copies (numbers as float, ``seed`` as int).

    Parameters
    ----------
    rows : dicts with ``subject`` and either ``file`` or ``condition, severity, body_mass_kg,
        height_m`` (see the module doc).
    source : name used in error messages (the manifest's file name).
    base : folder against which relative ``file`` paths are resolved (default: the working folder).
    joint : joint whose parameter table checks override columns.
    first_line : the file line of the first row (error messages then also give the line).

    Raises
    ------
    ParameterError naming the source, the row (1 = first data row), the column and what was
    expected.
    """
    if joint not in JOINTS:
        raise ParameterError(describe("joint", f"one of {', '.join(JOINTS)}", repr(joint)))
    if not all(isinstance(row, Mapping) for row in rows):
        bad = next(row for row in rows if not isinstance(row, Mapping))
        raise ParameterError(describe(f"`{source}`", "rows as dicts of column -> value", repr(bad)))
    rows = [dict(row) for row in rows]
    if not rows:
        raise ParameterError(describe(f"`{source}`", "at least one subject row", "none"))
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    if "subject" not in columns:
        raise ParameterError(describe(f"`{source}`", "a `subject` column", f"columns {columns}"))
    recordings = "file" in columns
    if not recordings:
        missing = [c for c in VIRTUAL_COLUMNS if c not in columns]
        if missing:
            raise ParameterError(describe(
                f"`{source}`", "a `file` column (recordings) or the columns "
                + ", ".join(f"`{c}`" for c in VIRTUAL_COLUMNS) + " (virtual subjects)",
                f"columns {columns}", f"missing {', '.join(missing)}"))
    _check_columns(columns, source, joint, recordings)
    overrides = override_paths(columns) if not recordings else []
    bounds = _parameter_bounds(joint) if overrides else {}
    for path in overrides:
        if path not in bounds:
            get_param(default_params(joint), path)  # raises with close matches
    base = Path(base) if base is not None else None
    seen: dict[str, int] = {}
    out = []
    for number, row in enumerate(rows, start=1):
        line = f" (line {first_line + number - 1})" if first_line is not None else ""

        def where(column, number=number, line=line):
            return f"`{source}`, row {number}{line}, column `{column}`"

        subject = row.get("subject")
        subject = "" if subject is None else str(subject).strip()
        if not subject:
            raise ParameterError(describe(where("subject"), "a non-empty subject id",
                                          repr(row.get("subject"))))
        if subject in seen:
            raise ParameterError(describe(where("subject"), "a unique subject id",
                                          f"{subject!r}, already in row {seen[subject]}"))
        seen[subject] = number
        clean = {**row, "subject": subject, **_subject_cells(row, where)}
        if recordings:
            file = row.get("file")
            names = [] if file is None else [name.strip() for name in str(file).split(FILE_SEPARATOR)]
            if not names or not all(names):
                raise ParameterError(describe(where("file"), "a recording path, or several separated by `;`",
                                              repr(file)))
            paths = [Path(name).expanduser() for name in names]
            if base is not None:
                paths = [path if path.is_absolute() else base / path for path in paths]
            clean["file"] = FILE_SEPARATOR.join(str(path) for path in paths)
        else:
            condition = row.get("condition")
            if condition not in CONDITIONS:
                raise ParameterError(describe(where("condition"), f"one of {', '.join(CONDITIONS)}",
                                              repr(condition)))
            clean["severity"] = _number(row.get("severity"), where("severity"), "a number in [0, 1]",
                                        low=0.0, high=1.0)
            low, high = BODY_MASS_BOUNDS_KG
            clean["body_mass_kg"] = None if _empty(row.get("body_mass_kg")) else _number(
                row.get("body_mass_kg"), where("body_mass_kg"), f"a body mass in kg in [{low:g}, {high:g}]",
                low=low, high=high)
            low, high = HEIGHT_BOUNDS_M
            clean["height_m"] = None if _empty(row.get("height_m")) else _number(
                row.get("height_m"), where("height_m"), f"a height in m in [{low:g}, {high:g}]", low=low, high=high)
            body = row_subject(clean).resolved()  # empty body cells: growth-chart medians
            clean["body_mass_kg"], clean["height_m"] = body.body_mass_kg, body.height_m
            for path in overrides:
                value = row.get(path)
                if value is None or (isinstance(value, str) and not value.strip()):
                    clean[path] = None
                    continue
                (low, high), unit = bounds[path]
                clean[path] = _number(value, where(path), f"a value in [{low:g}, {high:g}] {unit}",
                                      low=low, high=high)
        seed = row.get("seed")
        if seed is None or (isinstance(seed, str) and not seed.strip()):
            clean["seed"] = None
        else:
            try:
                value = float(seed)
                if not (value.is_integer() and value >= 0):
                    raise ValueError
                clean["seed"] = int(value)
            except (TypeError, ValueError):
                raise ParameterError(describe(where("seed"), "an integer >= 0", repr(seed))) from None
        out.append(clean)
    return out


def read_manifest(path: str | Path, *, joint: str = "knee") -> list[dict]:
    """Read and validate a cohort manifest CSV (see the module doc); relative files resolve beside it.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     manifest = Path(folder) / "cohort.csv"
    ...     _ = manifest.write_text("subject,condition,severity,body_mass_kg,height_m,motoneuron.gain\\n"
    ...                             "s01,stroke,0.5,70,1.7,\\ns02,healthy,0,82,1.8,0.006\\n")
    ...     rows = read_manifest(manifest)
    >>> rows[0]["severity"], rows[0]["motoneuron.gain"], rows[1]["motoneuron.gain"], rows.path.name
    (0.5, None, 0.006, 'cohort.csv')
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(describe(f"manifest `{path}`", "an existing CSV file", "no such file"))
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            reader = csv.DictReader(stream)
            header = reader.fieldnames
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ParameterError(describe(f"manifest `{path.name}`", "a UTF-8 CSV file", type(exc).__name__,
                                      str(exc))) from None
    if not header:
        raise ParameterError(describe(f"manifest `{path.name}`", "a header line with a `subject` column",
                                      "an empty file"))
    header = [name.strip() for name in header]
    if len(set(header)) != len(header) or "" in header:
        raise ParameterError(describe(f"manifest `{path.name}`, header", "unique, non-empty column names",
                                      header))
    clean = []
    for number, row in enumerate(rows, start=1):
        if None in row:  # more cells than header names
            raise ParameterError(describe(f"`{path.name}`, row {number} (line {number + 1})",
                                          f"{len(header)} cells like the header",
                                          f"{len(header) + len(row[None])}"))
        clean.append({name.strip(): (value.strip() if isinstance(value, str) else value)
                      for name, value in row.items()})
    if not clean:
        raise ParameterError(describe(f"manifest `{path.name}`", "at least one subject row", "a header only"))
    return Manifest(validate_rows(clean, source=path.name, base=path.parent, joint=joint, first_line=2), path)


def as_rows(rows, joint: str) -> list[dict]:
    """Validated rows from a manifest path, a :class:`Manifest` (which stays one) or rows by hand."""
    if isinstance(rows, (str, os.PathLike)):
        return read_manifest(rows, joint=joint)
    if isinstance(rows, Manifest):
        return Manifest(validate_rows(rows, source=rows.path.name, joint=joint), rows.path)
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence):
        raise ParameterError(describe("cohort rows", "a manifest path or a list of row dicts", repr(type(rows))))
    return validate_rows(rows, joint=joint)


# ---------------------------------------------------------------------------------------------
# Parameters for a batch of virtual subjects


def build_params(rows: Sequence[Mapping[str, Any]], *, joint: str = "knee"):
    """One batched parameter tree (leading axis = subject) for validated virtual-subject rows.

    Each subject starts from :func:`myoreflex.subjects.subject_params` of its row (age, sex, body
    mass and height: segments, muscles and passive tissue for that body); the subjects' named
    conditions are then applied to the whole batch at once, each member at its own severity
    (members of other conditions are left exactly as they are), and finally the rows' dotted-path
    overrides. The result equals ``stack_params([apply_condition(subject_params(...), c, s), ...])``
    (tested), without a tree rebuild per subject.
    """
    from myoreflex.subjects import subject_params

    trees = [subject_params(joint, row_subject(r)) for r in rows]
    batch = jax.tree_util.tree_map(lambda *leaves: np.asarray(leaves, dtype=float), *trees)
    batch = apply_conditions(batch, [r["condition"] for r in rows], [float(r["severity"]) for r in rows])
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in override_paths(row) if key not in columns)
    overrides = {}
    for path in columns:
        given = np.array([np.nan if r.get(path) is None else float(r[path]) for r in rows])
        value = np.asarray(get_param(batch, path))
        overrides[path] = np.where(np.isnan(given), value, given)
    return with_overrides(batch, overrides)


