"""A cohort's results table read as a pandas DataFrame (cohort/tables.py).

The tables are written by the writer the cohort engine uses (io.results.write_table), CSV and
Parquet, with the cells a cohort produces: ids that look like numbers, an ERROR row with empty
measures, a text cell a spreadsheet would run (escaped on write), and the provenance record.
"""

import json
import math

import pytest

from myoreflex.cohort import read_table
from myoreflex.errors import ParameterError
from myoreflex.io.results import write_table

pandas = pytest.importorskip("pandas")

ROWS = [
    {"subject": "007", "condition": "stroke", "status": "OK", "error": "", "r1": 0.61, "velocity_deg_s": 180.0},
    {"subject": "s02", "condition": "=HYPERLINK(\"x\")", "status": "ERROR", "error": "-knee.csv: no such file"},
    {"subject": "s03", "condition": "healthy", "status": "OK", "error": "", "r1": -1.25, "velocity_deg_s": 90.0},
]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_cohort_table_reads_as_a_dataframe_with_numbers_text_and_provenance(tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    path = write_table(ROWS, tmp_path / f"cohort{suffix}")
    path.with_name(path.name + ".provenance.json").write_text(json.dumps({"protocol": "stretch"}))
    frame = read_table(path)
    assert list(frame.columns) == ["subject", "condition", "status", "error", "r1", "velocity_deg_s"]
    assert list(frame["subject"]) == ["007", "s02", "s03"]  # an id is never the number 7
    assert frame["r1"].dtype.kind == "f" and frame["r1"].iloc[2] == -1.25
    assert math.isnan(frame["r1"].iloc[1])  # the ERROR row has no measure
    assert frame["condition"].iloc[1] == "=HYPERLINK(\"x\")"  # the injection guard removed again
    assert frame["error"].iloc[1] == "-knee.csv: no such file"
    assert frame.attrs["provenance"] == {"protocol": "stretch"}


def test_read_table_refuses_what_is_not_a_table(tmp_path):
    with pytest.raises(ParameterError, match=r"cohort table `cohort\.xlsx`: expected an existing \.csv or \.parquet"):
        read_table(tmp_path / "cohort.xlsx")
    with pytest.raises(ParameterError, match="no such file"):
        read_table(tmp_path / "missing.csv")
