"""What the command line shows people: choices in help, clean help text with examples, rounded text
output (JSON at full precision), completion, and the compile notice kept off stdout (issue 15)."""

import json

import pytest
from typer.testing import CliRunner

from myoreflex.cli import COMPILE_NOTICE, app
from myoreflex.cli._common import CONDITION_NAMES, JOINT_NAMES, METHOD_NAMES, clean_help, shown

runner = CliRunner()


def help_text(args) -> str:
    """The help of ``args`` without the wrapping and frames of the terminal layout."""
    result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return "".join(result.stdout.replace("│", " ").split())


def test_the_choices_help_lists_are_the_registries():
    from myoreflex.conditions import CONDITIONS
    from myoreflex.fit import METHODS
    from myoreflex.model import JOINTS

    assert CONDITION_NAMES == tuple(CONDITIONS) and JOINT_NAMES == tuple(JOINTS) and METHOD_NAMES == tuple(METHODS)


@pytest.mark.parametrize("args,listed", [
    (["simulate", "pendulum"], "healthy|stroke|spinal_cord_injury"),
    (["simulate", "stretch"], "knee|elbow|ankle|wrist"),
    (["fit", "pendulum"], "map|nuts"),
    (["cohort", "fit"], "stretch|pendulum"),
])
def test_help_lists_the_choices(args, listed):
    assert listed in help_text(args)


def test_help_has_no_rest_markup_and_shows_an_example():
    text = help_text(["cohort", "fit"])
    assert "``" not in text and ":mod:" not in text
    assert "Example:myoreflexcohortfit" in text
    assert clean_help("Run ``x`` with :func:`~a.b`.\n    Next line.\n\n    New paragraph.") == \
        "Run x with a.b. Next line.\n\nNew paragraph."


def test_shell_completion_is_offered():
    assert "--install-completion" in help_text([])


@pytest.mark.parametrize("args,flag", [
    (["simulate", "pendulum", "--condition", "flu"], "--condition"),
    (["simulate", "stretch", "--joint", "hip"], "--joint"),
    (["fit", "stretch", "x.csv", "--method", "mcmc"], "--method"),
    (["cohort", "fit", "m.csv", "--test", "walk"], "--test"),
])
def test_a_bad_choice_is_still_one_line_with_exit_code_2(args, flag):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and flag in lines[0] and "expected" in lines[0], result.stderr


def test_text_output_is_rounded_and_json_keeps_full_precision():
    assert shown(1.2176322924806628) == "1.218" and shown(13) == "13" and shown(None) == "-"
    text = runner.invoke(app, ["simulate", "pendulum"])
    assert text.exit_code == 0, text.output
    r1_line = next(line for line in text.stdout.splitlines() if line.strip().startswith("r1 "))
    as_json = runner.invoke(app, ["simulate", "pendulum", "--json"])
    r1 = json.loads(as_json.stdout)["metrics"]["r1"]
    assert r1_line.split()[1] == f"{r1:.4g}" and len(repr(r1)) > 8
    assert COMPILE_NOTICE not in as_json.stdout
