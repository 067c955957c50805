"""The README's Python example runs and prints what the README says (docs test)."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs_and_matches_its_comments():
    text = README.read_text()
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    expected = [line.lstrip("# ").strip() for line in block.splitlines() if line.startswith("# R1")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(README), "exec"), {})
    printed = out.getvalue().splitlines()
    assert expected and all(line in printed for line in expected), (expected, printed)
    assert len(printed) == 2 + 3
