"""Result writers: tables (CSV or Parquet) written atomically (temporary name, then rename), and the
checks every output gets before any work starts.

Safe outputs
------------
:func:`check_output` is called on every output path (``--out``, ``--plot``, ``--samples-out``,
a cohort's table) *before* the computing starts: the folder exists and is writable, the path is
not a directory, its extension is one the writer knows, and it is not the same file as any input
(symbolic links resolved, hard links caught by :func:`os.path.samefile`). Each failure is one
:class:`~myoreflex.errors.OutputError` line.

Writes go through :func:`atomic_path`: the data are written to a temporary file beside the output
(``.<stem>-<random><suffix>``) and renamed onto it only when complete, so a reader sees the old
file or the whole new one, never half of it. A full disk (``ENOSPC``), a permission error or any
other ``OSError`` during the write removes the temporary file and raises one ``OutputError`` line.
A temporary file left by a killed writer is removed by the next write to the same output
(:func:`remove_stale_temporaries`); two processes writing the same output at the same moment are
not supported.

CSV injection
-------------
Every CSV myoreflex writes (:func:`write_table`) escapes text cells as OWASP recommends for CSV
injection: a text cell (a ``str``) that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return, and is not a plain decimal number, gets a leading single quote (``'=cmd()`` is
written for ``=cmd()``), as does a text cell that already starts with a quote, so that the quote
can be removed again unambiguously (:func:`unescape_cell`, used by
:func:`myoreflex.cohort.read_results`). Spreadsheets show the quoted cell as the original text
and never run it. Numbers stay numbers: a negative ``float`` or ``int`` (or the text of a plain
number such as ``"-1.5"``) is written unchanged. Column names are escaped the same way.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from myoreflex.errors import NotSupported, OutputError, describe, require_extra

TABLE_SUFFIXES = (".csv", ".parquet")
"""Extensions :func:`write_table` writes."""
FIGURE_SUFFIXES = (".png", ".pdf", ".svg")
"""Extensions the figure writer (:func:`myoreflex.report.figures.save_figure`) is checked against."""
JSON_SUFFIXES = (".json",)
"""Extension of JSON outputs (provenance, fit samples)."""

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def file_mode() -> int:
    """Permissions of an ordinary new file under the current umask (``mkstemp`` makes 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return False


def check_output(
    path: str | os.PathLike,
    *,
    inputs: Iterable[str | os.PathLike] = (),
    suffixes: Sequence[str] = TABLE_SUFFIXES,
    what: str = "output",
) -> Path:
    """Check an output path before any work is done; return it as a :class:`~pathlib.Path`.

    Parameters
    ----------
    path : where the output will be written.
    inputs : the files the run reads (manifest, recordings): the output may be none of them.
    suffixes : the extensions the writer knows (lower case, with the dot); default: tables.
    what : the output's name in messages (``--out``, ``--plot``, ...).

    Raises
    ------
    OutputError
        One line naming the path: the folder is missing or not writable, the path is a directory
        (or another non-regular file), its extension is not among ``suffixes``, or it is the same
        file as an input.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> check_output(folder / "results.csv").name
    'results.csv'
    >>> check_output(folder / "results.xlsx")
    Traceback (most recent call last):
    ...
    myoreflex.errors.OutputError: output `results.xlsx`: expected an extension among .csv, .parquet; got '.xlsx'
    """
    if path is None or str(path) == "":
        raise OutputError(describe(what, "a file path", repr(path)))
    path = Path(path).expanduser()
    name = f"{what} `{path.name or path}`"
    suffixes = tuple(s.lower() for s in suffixes)
    if path.is_dir():
        raise OutputError(describe(name, "a file path", f"a directory ({path})", "add a file name"))
    if path.exists() and not path.is_file():
        raise OutputError(describe(name, "a regular file", "a special file (device, pipe or socket)"))
    if path.suffix.lower() not in suffixes:
        raise OutputError(describe(name, f"an extension among {', '.join(suffixes)}",
                                   repr(path.suffix or "(none)")))
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(describe(name, "an existing folder", f"no folder {folder}",
                                   "create the folder first"))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(describe(name, "a writable folder", f"{folder} is read-only for this user",
                                   "choose another folder"))
    for source in inputs:
        if source is not None and _same_file(path, Path(source).expanduser()):
            raise OutputError(describe(name, "a file other than the inputs", f"the input {source}",
                                       "write the results to another file"))
    return path


def _temporary_pattern(path: Path, suffix: str) -> re.Pattern:
    # mkstemp's random part: 8 characters of [a-z0-9_]
    return re.compile(re.escape(f".{path.stem}-") + r"[a-z0-9_]{8}" + re.escape(suffix) + r"\Z")


def remove_stale_temporaries(path: str | os.PathLike, suffix: str | None = None) -> list[Path]:
    """Remove the temporary files a killed write of ``path`` left beside it; return them.

    They are named as :func:`atomic_path` names them, ``.<stem>-<8 random characters><suffix>``
    (``suffix``: the path's own unless given, e.g. ``.tmp`` for the cohort's JSON records).
    """
    path = Path(path)
    pattern = _temporary_pattern(path, path.suffix if suffix is None else suffix)
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        if pattern.match(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def output_error(path: Path, exc: OSError) -> OutputError:
    """One :class:`OutputError` line for an ``OSError`` raised while writing ``path``."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    hint = {
        errno.ENOSPC: "free disk space and run again (a cohort resumes from its finished chunks)",
        errno.EDQUOT: "free disk space (quota) and run again",
        errno.EACCES: "choose a writable folder",
        errno.EPERM: "choose a writable folder",
        errno.EROFS: "choose a folder on a writable disk",
    }.get(exc.errno, "nothing was written; fix the cause and run again")
    return OutputError(describe(f"output `{path}`", "a complete write", f"{type(exc).__name__}: {reason}", hint))


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``, else remove it.

    Nothing is ever half-written at ``path``: readers see the old file or the complete new one. A
    temporary file a killed earlier write left is removed first; an ``OSError`` while writing (full
    disk, permission) becomes an :class:`~myoreflex.errors.OutputError`.
    """
    path = Path(path)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
        os.close(handle)
        yield Path(temporary)
        os.chmod(temporary, file_mode())
        os.replace(temporary, path)
    except OutputError:
        raise
    except OSError as exc:
        raise output_error(path, exc) from None
    finally:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)


def escape_cell(value):
    """A CSV cell safe from formula injection (rule in the module doc); non-text values unchanged.

    Examples
    --------
    >>> [escape_cell(v) for v in ["=HYPERLINK(1)", "-1.5", -1.5, "@x", "'q", "knee"]]
    ["'=HYPERLINK(1)", '-1.5', -1.5, "'@x", "''q", 'knee']
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] == "'" or (value[0] in _TRIGGERS and not _NUMBER.fullmatch(value)):
        return "'" + value
    return value


def unescape_cell(value):
    """The text :func:`escape_cell` escaped, as it was (one leading quote removed)."""
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


def _columns(rows: Sequence[dict]) -> list[str]:
    names: list[str] = []
    for row in rows:
        names.extend(key for key in row if key not in names)
    return names


def write_table(rows: Sequence[dict], path: str | Path) -> Path:
    """Write rows (dicts) to ``path`` (.csv or .parquet) atomically; missing cells stay empty.

    CSV text cells that a spreadsheet would run as a formula are escaped (module doc); Parquet keeps
    every value as it is (its readers do not evaluate cells).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise NotSupported(describe(f"table `{path.name}`", "a .csv or .parquet file", repr(suffix)))
    columns = _columns(rows)
    if suffix == ".parquet":
        pyarrow = require_extra("pyarrow", "parquet")
        import pyarrow.parquet as parquet
    with atomic_path(path) as temporary:
        if suffix == ".csv":
            with open(temporary, "w", newline="") as stream:
                writer = csv.writer(stream)
                writer.writerow([escape_cell(str(c)) for c in columns])
                for row in rows:
                    writer.writerow([escape_cell(row.get(c, "")) for c in columns])
        else:
            table = pyarrow.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows])
            parquet.write_table(table, temporary)
    return path
