"""Quality gates: the documented rules a recording must pass before a measure's numbers mean anything.

A :class:`Gate` is one rule: the number it tests (``rule``, with its ``unit``), how it is compared
(``test``) with its ``limit``, and why that limit (``justification``: a reference or the
reasoning). Each gated measures module declares its gates once, in a ``GATES`` mapping (name to
gate), so that the docs, the command line and the tests read the same rules::

    pendulum.GATES["samples_per_swing"].limit   # 20

A measure computes the numbers, pairs each with its gate (:meth:`Gate.result`) and hands them to
:func:`evaluate`:

- by default a failed gate raises :class:`~myoreflex.errors.QualityGateError` (a
  :class:`~myoreflex.errors.RecordingError`), one line made by :func:`~myoreflex.errors.describe`
  naming the file (and channel), the gate, what it expects with the limit, and the measured
  number; when several gates fail, the first one's message names the others;
- with ``lenient=True`` it returns the failed gates' messages (one per gate, the same shape) and
  the measure returns its numbers with them in its record's ``warnings``; an empty tuple means
  every gate passed.

A gate whose number cannot be computed (``None``) is not applicable and passes: e.g. the damped
decay of a swing that reversed only once. Errors that leave nothing to measure (no channel, no
movement, NaN) stay :class:`~myoreflex.errors.RecordingError` and are raised whatever ``lenient``
says.

Examples
--------
>>> gate = Gate("samples_per_swing", "samples per swing period", ">=", 20, "samples",
...             "central differences lose under 2 % of the peak velocity from 20 samples per period")
>>> gate.result(105.0).passed, gate.result(2.0).passed
(True, False)
>>> print(evaluate("`demo.csv`, channel `angle`", [gate.result(2.0)], lenient=True)[0])
`demo.csv`, channel `angle`, quality gate `samples_per_swing`: expected samples per swing period at least 20 samples; got 2 samples
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from typing import Any, Literal

from myoreflex.errors import ParameterError, QualityGateError, describe

Test = Literal["<=", ">=", "<", ">", "same"]
_WORDS = {"<=": "at most", ">=": "at least", "<": "below", ">": "above"}
_NAME = re.compile(r"quality gate `([^`]+)`")
LENIENT_HINT = "pass lenient=True (--lenient) to measure anyway, with the gate named in `warnings`"


@dataclasses.dataclass(frozen=True)
class Gate:
    """One quality gate: ``rule`` (the number tested, in words) ``test`` ``limit`` ``unit``.

    ``test`` is ``"<="``, ``">="``, ``"<"``, ``">"`` for a number against ``limit``, or ``"same"``
    for a pair of labels that must be equal (``limit`` is then ignored; a pair with an unknown side,
    None, passes). ``justification`` says where the limit comes from; ``hint`` says how to pass it.
    """

    name: str
    rule: str
    test: Test
    limit: float | None
    unit: str
    justification: str
    hint: str = ""

    def __post_init__(self):
        if self.test not in (*_WORDS, "same"):
            raise ParameterError(describe(f"gate `{self.name}` test", "one of <=, >=, <, >, same", repr(self.test)))
        if self.test != "same" and not (isinstance(self.limit, (int, float)) and math.isfinite(self.limit)):
            raise ParameterError(describe(f"gate `{self.name}` limit", "a finite number", self.limit))

    @property
    def expected(self) -> str:
        """The rule with its limit, as the ``expected`` part of the message."""
        if self.test == "same":
            return self.rule
        return f"{self.rule} {_WORDS[self.test]} {_format(self.limit)}{_unit(self.unit)}"

    def passes(self, value: Any) -> bool:
        """Whether ``value`` passes (None: not applicable, passes)."""
        if value is None:
            return True
        if self.test == "same":
            first, second = value
            return first is None or second is None or first == second
        if not math.isfinite(value):
            return False
        return {"<=": value <= self.limit, ">=": value >= self.limit, "<": value < self.limit,
                ">": value > self.limit}[self.test]

    def result(self, value: Any, got: str | None = None) -> GateResult:
        """This gate evaluated at ``value``; ``got`` overrides how the value is written in the message."""
        return GateResult(self, value, self.passes(value), got)


@dataclasses.dataclass(frozen=True)
class GateResult:
    """A gate evaluated on one recording: the measured ``value`` and whether it ``passed``."""

    gate: Gate
    value: Any
    passed: bool
    got: str | None = None

    def message(self, where: str, hint: str = "") -> str:
        """``WHERE, quality gate `NAME`: expected RULE LIMIT; got VALUE. HINT`` (:func:`~myoreflex.errors.describe`)."""
        if self.got is not None:
            got = self.got
        elif self.gate.test == "same":
            got = " and ".join(repr(v) for v in self.value)
        else:
            got = f"{_format(self.value)}{_unit(self.gate.unit)}"
        return describe(f"{where}, quality gate `{self.gate.name}`", self.gate.expected, got, hint)


def evaluate(where: str, results: Sequence[GateResult], *, lenient: bool = False) -> tuple[str, ...]:
    """Raise :class:`~myoreflex.errors.QualityGateError` for the failed gates, or (``lenient``) return their messages.

    ``where`` names the recording (file, and channel or segment) as in every error of myoreflex.
    Returns an empty tuple when every gate passed. The raised error's ``gates`` attribute holds
    the names of every failed gate, its message the first one's (and the others' names).
    """
    failed = [r for r in results if not r.passed]
    if not failed:
        return ()
    if lenient:
        return tuple(r.message(where, r.gate.hint) for r in failed)
    first = failed[0]
    others = [f"`{r.gate.name}`" for r in failed[1:]]
    hint = "; ".join(part for part in (first.gate.hint, LENIENT_HINT) if part)
    if others:
        hint += f" (also failed: {', '.join(others)})"
    error = QualityGateError(first.message(where, hint))
    error.gates = tuple(r.gate.name for r in failed)
    raise error


def gate_names(messages: Sequence[str]) -> list[str]:
    """The gate names in gate messages (a record's ``warnings``), in order.

    Examples
    --------
    >>> gate_names(["`a.csv`, channel `angle`, quality gate `plateau_settled`: expected ...; got 36%"])
    ['plateau_settled']
    """
    return [match.group(1) for message in messages for match in [_NAME.search(message)] if match]


def table(gates: Sequence[Gate] | dict[str, Gate]) -> list[dict[str, Any]]:
    """The gates as plain rows (name, rule, test, limit, unit, justification), for docs and ``--help``."""
    values = gates.values() if isinstance(gates, dict) else gates
    return [{"name": g.name, "rule": g.rule, "test": g.test, "limit": g.limit, "unit": g.unit,
             "justification": g.justification} for g in values]


def _format(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def _unit(unit: str) -> str:
    if not unit:
        return ""
    return unit if unit.startswith("%") else f" {unit}"
