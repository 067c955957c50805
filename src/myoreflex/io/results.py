"""Result writers: tables (CSV or Parquet) written atomically (temporary name, then rename)."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from myoreflex.errors import NotSupported, describe, require_extra


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
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = _columns(rows)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=suffix)
    os.close(handle)
    try:
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
        os.chmod(temporary, 0o644)  # mkstemp makes 0600; a results table is meant to be shared
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path
