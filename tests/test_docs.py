"""Documentation that runs: the README's Python example, and every Python block of docs/*.md.

A ```text block right after a Python block is what that block prints, line for line.
"""

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))


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


@pytest.mark.parametrize("page", DOCS, ids=[page.name for page in DOCS])
def test_every_python_block_of_the_docs_runs_and_prints_what_the_page_says(page):
    from myoreflex.protocols import PROTOCOLS

    before = set(PROTOCOLS)
    blocks = re.findall(r"```(\w+)\n(.*?)```", page.read_text(), re.S)
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    ran = 0
    try:
        for index, (language, code) in enumerate(blocks):
            if language != "python":
                continue
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(code, str(page), "exec"), namespace)
            ran += 1
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            if following and following[0] == "text":
                assert out.getvalue().strip() == following[1].strip(), (page.name, index)
    finally:
        for name in set(PROTOCOLS) - before:  # a page may register a protocol of its own
            PROTOCOLS.remove(name)
    assert ran > 0
