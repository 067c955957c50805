"""Safe outputs (issue 19): check_output before any work, one OutputError line for a failed write and
nothing half-written, stale temporary files removed by the next write, CSV cells escaped against
formula injection (numbers stay numbers)."""

import csv
import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from myoreflex.cohort import read_results
from myoreflex.errors import OutputError
from myoreflex.io import results
from myoreflex.io.results import (
    FIGURE_SUFFIXES,
    atomic_path,
    check_output,
    escape_cell,
    remove_stale_temporaries,
    unescape_cell,
    write_table,
)

# --- check_output --------------------------------------------------------------------------------


def test_a_good_output_path_is_returned(tmp_path):
    assert check_output(tmp_path / "out.csv") == tmp_path / "out.csv"
    assert check_output(str(tmp_path / "OUT.PARQUET")) == tmp_path / "OUT.PARQUET"  # suffixes without case
    assert check_output(tmp_path / "fig.svg", suffixes=FIGURE_SUFFIXES).suffix == ".svg"
    (tmp_path / "old.csv").write_text("x\n")
    assert check_output(tmp_path / "old.csv") == tmp_path / "old.csv"  # replacing a file is fine


def one_line(info) -> str:
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_directory_is_refused(tmp_path):
    (tmp_path / "out.csv").mkdir()
    with pytest.raises(OutputError) as info:
        check_output(tmp_path / "out.csv")
    assert "a directory" in one_line(info)


def test_a_special_file_is_refused():
    with pytest.raises(OutputError, match="special file"):
        check_output("/dev/null", suffixes=("",))


def test_an_unknown_extension_is_refused(tmp_path):
    with pytest.raises(OutputError) as info:
        check_output(tmp_path / "out.xlsx", what="--out")
    assert one_line(info) == "--out `out.xlsx`: expected an extension among .csv, .parquet; got '.xlsx'"
    with pytest.raises(OutputError, match=r"got '\(none\)'"):
        check_output(tmp_path / "results")
    with pytest.raises(OutputError, match=r"\.png, \.pdf, \.svg"):
        check_output(tmp_path / "figure.csv", suffixes=FIGURE_SUFFIXES, what="--plot")


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(OutputError) as info:
        check_output(tmp_path / "nowhere" / "out.csv")
    assert "an existing folder" in one_line(info) and "nowhere" in str(info.value)


def test_a_read_only_folder_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    real = os.access
    monkeypatch.setattr(results.os, "access", lambda path, mode: False if Path(path) == folder else real(path, mode))
    with pytest.raises(OutputError) as info:
        check_output(folder / "out.csv")
    assert "a writable folder" in one_line(info) and "read-only" in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_really_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="writable folder"):
            check_output(folder / "out.csv")
    finally:
        folder.chmod(0o755)


def test_an_input_is_never_an_output(tmp_path, monkeypatch):
    manifest = tmp_path / "m.csv"
    manifest.write_text("subject,file\n")
    with pytest.raises(OutputError) as info:
        check_output(manifest, inputs=[manifest])
    assert "a file other than the inputs" in one_line(info)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    with pytest.raises(OutputError):  # the same file by another spelling
        check_output("./sub/../m.csv", inputs=[str(manifest)])
    link = tmp_path / "link.csv"
    link.symlink_to(manifest)
    with pytest.raises(OutputError):  # a symbolic link to an input
        check_output(link, inputs=[manifest])
    hard = tmp_path / "hard.csv"
    os.link(manifest, hard)
    with pytest.raises(OutputError):  # a hard link: same inode, other name
        check_output(hard, inputs=[manifest])
    assert check_output(tmp_path / "other.csv", inputs=[manifest, tmp_path / "missing.csv"])


# --- writes --------------------------------------------------------------------------------------


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path):
    target = tmp_path / "table.csv"
    with pytest.raises(OutputError) as info, atomic_path(target) as temporary:
        temporary.write_text("half a ta")
        raise OSError(errno.ENOSPC, "No space left on device")
    message = one_line(info)
    assert "table.csv" in message and "No space left on device" in message and "free disk space" in message
    assert list(tmp_path.iterdir()) == []


def test_a_permission_error_is_one_line(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(results.tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError) as info:
        write_table([{"a": 1}], tmp_path / "t.csv")
    assert "Permission denied" in one_line(info) and "writable folder" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_old_file(tmp_path):
    target = write_table([{"a": 1}], tmp_path / "t.csv")
    with pytest.raises(OutputError), atomic_path(target) as temporary:
        temporary.write_text("a\n2\n")
        raise OSError(errno.EIO, "Input/output error")
    assert target.read_text().splitlines() == ["a", "1"]
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


KILLED_WRITE = """
import os, signal, sys
from myoreflex.io.results import atomic_path
with atomic_path(sys.argv[1]) as temporary:
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_write_leaves_a_temporary_file_that_the_next_write_removes(tmp_path):
    target = tmp_path / "results.csv"
    child = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(target)], capture_output=True, check=False)
    assert child.returncode == -9
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".results-") and left[0].endswith(".csv")  # 0 bytes, hidden
    (tmp_path / ".results-notours.csv").write_text("kept")  # not the tool's name pattern
    (tmp_path / ".other-abcd1234.csv").write_text("kept")  # another output's
    write_table([{"a": 1}], target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other-abcd1234.csv", ".results-notours.csv",
                                                          "results.csv"]


def test_remove_stale_temporaries_names_what_it_removed(tmp_path):
    stale = tmp_path / ".cohort.csv.provenance-k2j4_x9a.tmp"
    stale.write_text("")
    assert remove_stale_temporaries(tmp_path / "cohort.csv.provenance.json", suffix=".tmp") == [stale]
    assert remove_stale_temporaries(tmp_path / "cohort.csv") == []


# --- CSV injection -------------------------------------------------------------------------------

HOSTILE = {
    "subject": "=HYPERLINK(\"http://x\",\"click\")",
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(A1:A2)",
    "tab": "\t=1+1",
    "quoted": "'=already",
    "text_number": "-1.5",
    "negative": -1.5,
    "integer": -3,
    "plain": "knee",
    "empty": "",
    "none": None,
}


def test_csv_cells_that_start_a_formula_are_escaped_and_numbers_stay_numbers(tmp_path):
    path = write_table([HOSTILE], tmp_path / "t.csv")
    with open(path, newline="") as stream:
        header, row = list(csv.reader(stream))
    cells = dict(zip(header, row))
    assert cells["subject"] == "'" + HOSTILE["subject"]
    assert cells["plus"] == "'+1+cmd|' /C calc'!A0" and cells["minus"] == "'-2+3" and cells["at"] == "'@SUM(A1:A2)"
    assert cells["tab"] == "'\t=1+1" and cells["quoted"] == "''=already"
    assert cells["text_number"] == "-1.5" and cells["negative"] == "-1.5" and cells["integer"] == "-3"
    assert cells["plain"] == "knee" and cells["empty"] == "" and cells["none"] == ""
    assert not any(cell and cell[0] in "=+-@" and cell not in ("-1.5", "-3") for cell in row)
    assert read_results(path)[0] == {key: "" if value is None else str(value) for key, value in HOSTILE.items()}


def test_csv_column_names_are_escaped_too(tmp_path):
    path = write_table([{"=cmd()": 1}], tmp_path / "t.csv")
    assert path.read_text().splitlines()[0] == "'=cmd()"
    assert list(read_results(path)[0]) == ["=cmd()"]


def test_parquet_keeps_values_as_they_are(tmp_path):
    pytest.importorskip("pyarrow")
    path = write_table([{"subject": "=x", "value": -1.5}], tmp_path / "t.parquet")
    assert read_results(path) == [{"subject": "=x", "value": -1.5}]


@pytest.mark.parametrize("value", ["=1", "+a", "-a", "@a", "\ra", "'x", "''"])
def test_escape_round_trips(value):
    escaped = escape_cell(value)
    assert escaped.startswith("'") and unescape_cell(escaped) == value


@pytest.mark.parametrize("value", ["-1", "+2.5", "-.5e-3", "1e9", 0, -7.25, None, True, "", "a=b"])
def test_numbers_and_plain_text_are_not_escaped(value):
    assert escape_cell(value) == value
