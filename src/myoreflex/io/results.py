"""Result writers: tables (CSV or Parquet) written atomically (temporary name, then rename)."""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from myoreflex.errors import NotSupported, describe, require_extra


def file_mode() -> int:
    """Permissions of an ordinary new file under the current umask (``mkstemp`` makes 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``, else remove it.

    Nothing is ever half-written at ``path``: readers see the old file or the complete new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(handle)
    try:
        yield Path(temporary)
        os.chmod(temporary, file_mode())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _columns(rows: Sequence[dict]) -> list[str]:
    names: list[str] = []
    for row in rows:
        names.extend(key for key in row if key not in names)
    return names


def write_table(rows: Sequence[dict], path: str | Path) -> Path:
    """Write rows (dicts) to ``path`` (.csv or .parquet) atomically; missing cells stay empty."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".parquet"}:
        raise NotSupported(describe(f"table `{path.name}`", "a .csv or .parquet file", repr(suffix)))
    columns = _columns(rows)
    with atomic_path(path) as temporary:
        if suffix == ".csv":
            with open(temporary, "w", newline="") as stream:
                writer = csv.DictWriter(stream, fieldnames=columns)
                writer.writeheader()
                writer.writerows(rows)
        else:
            pyarrow = require_extra("pyarrow", "parquet")
            import pyarrow.parquet as parquet

            table = pyarrow.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows])
            parquet.write_table(table, temporary)
    return path
