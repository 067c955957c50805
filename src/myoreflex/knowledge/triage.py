"""Triage helper for a cramp or spasm: seek urgent care, see a doctor soon, or self-care.

A research and teaching tool, NOT a medical device. It does not diagnose anything and does not replace
a clinician; every answer carries :data:`NOTICE`, which a front end must show prominently, before the
advice.

The questions (the answers file of ``myoreflex triage --answers FILE.json``, a JSON object):

``location``
    where: one of :data:`LOCATIONS` (``calf``, ``foot``, ``thigh``, ``hand``, ``upper_arm``, ``chest``,
    ``abdomen``, ``back``, ``neck``, ``face``, ``eyelid``).
``duration_min``
    how long the longest recent episode lasted, in minutes (a number >= 0).
``episodes_per_week``
    how often, episodes per week (a number >= 0; 0.25 is about once a month).
``trigger``
    what brings it on: one of :data:`TRIGGERS` (``exercise``, ``night``, ``rest``, ``cold``, ``stress``,
    ``none``).
``signs``
    other signs, a list (possibly empty) from :data:`SIGNS` (``weakness``, ``wasting``,
    ``fasciculations``, ``calf_swelling``, ``dark_urine``, ``pregnancy``, ``new_medicine``,
    ``numbness``, ``fever``); optional, default empty.

The rules are data (``triage_rules.toml``): each has an id, a condition, an advice level and its
sources, and names the knowledge entry that explains it. Every rule whose condition holds fires; the
answer is the most urgent advice among them, red flags are checked and listed first, and a red flag is
never answered with self-care. The thresholds are conservative and documented in the rules file.

Examples
--------
>>> from myoreflex.knowledge.triage import TriageAnswers, triage
>>> answer = triage(TriageAnswers(location="calf", duration_min=2, episodes_per_week=1, trigger="night"))
>>> answer["advice"], [rule["rule"] for rule in answer["rules"]]
('self_care', ['no_warning_sign'])
>>> triage({"location": "chest", "duration_min": 5, "episodes_per_week": 0.5, "trigger": "exercise"})["advice"]
'urgent'
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Mapping
from pathlib import Path

from myoreflex.errors import ParameterError, checked_number, describe
from myoreflex.knowledge import _read_toml, get_entry, load_sources

__all__ = [
    "ADVICE",
    "LOCATIONS",
    "NOTICE",
    "SIGNS",
    "TRIGGERS",
    "Rule",
    "TriageAnswers",
    "load_rules",
    "read_answers",
    "render_triage",
    "triage",
]

LOCATIONS = ("calf", "foot", "thigh", "hand", "upper_arm", "chest", "abdomen", "back", "neck", "face", "eyelid")
TRIGGERS = ("exercise", "night", "rest", "cold", "stress", "none")
SIGNS = (
    "weakness",
    "wasting",
    "fasciculations",
    "calf_swelling",
    "dark_urine",
    "pregnancy",
    "new_medicine",
    "numbness",
    "fever",
)
ADVICE = ("urgent", "doctor", "self_care")
"""Advice levels, most urgent first: seek urgent care / see a doctor soon / self-care."""

NOTICE = (
    "NOT MEDICAL ADVICE. This triage helper is a research and teaching tool, not a medical device; it "
    "does not diagnose anything and does not replace a doctor, nurse or other clinician. If you feel "
    "very unwell or are worried, contact a clinician or call emergency services (999 / 112 / 911), "
    "whatever this tool says."
)

_FIELDS = ("location", "duration_min", "episodes_per_week", "trigger", "signs")
_REQUIRED = ("location", "duration_min", "episodes_per_week", "trigger")
_CONDITIONS = ("location_in", "trigger_in", "sign_any", "duration_min_over", "episodes_per_week_at_least")


def _choice(value, field: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ParameterError(describe(f"triage answer `{field}`", f"one of {', '.join(allowed)}", repr(value)))
    return value


@dataclasses.dataclass(frozen=True)
class TriageAnswers:
    """The answers about one cramp or spasm, validated (see the module docstring for the fields).

    An unknown location, trigger or sign, a negative or non-finite number, or ``signs`` given as a
    single string is a :class:`~myoreflex.errors.ParameterError` naming the field and the allowed
    values. ``signs`` is stored sorted and without repeats.

    Examples
    --------
    >>> from myoreflex.knowledge.triage import TriageAnswers
    >>> TriageAnswers("calf", 3, 1, "night", signs=["numbness", "numbness"]).signs
    ('numbness',)
    >>> TriageAnswers("knee", 3, 1, "night")
    Traceback (most recent call last):
    ...
    myoreflex.errors.ParameterError: triage answer `location`: expected one of calf, foot, thigh, hand, upper_arm, chest, abdomen, back, neck, face, eyelid; got 'knee'
    """

    location: str
    duration_min: float
    episodes_per_week: float
    trigger: str
    signs: tuple[str, ...] = ()

    def __post_init__(self):
        _choice(self.location, "location", LOCATIONS)
        _choice(self.trigger, "trigger", TRIGGERS)
        for field in ("duration_min", "episodes_per_week"):
            value = checked_number(
                getattr(self, field), f"triage answer `{field}`", "a finite number >= 0", low=0.0
            )
            object.__setattr__(self, field, value)
        signs = self.signs
        if isinstance(signs, (str, bytes)) or not isinstance(signs, (list, tuple, set, frozenset)):
            raise ParameterError(
                describe("triage answer `signs`", f"a list of signs from {', '.join(SIGNS)}", repr(signs))
            )
        for sign in signs:
            _choice(sign, "signs", SIGNS)
        object.__setattr__(self, "signs", tuple(sorted(set(signs))))

    @classmethod
    def from_dict(cls, data: Mapping) -> TriageAnswers:
        """Answers from a mapping (a parsed answers file); unknown or missing keys are refused."""
        if not isinstance(data, Mapping):
            raise ParameterError(describe("triage answers", "a JSON object of answers", type(data).__name__))
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise ParameterError(
                describe("triage answers", f"only the keys {', '.join(_FIELDS)}", ", ".join(map(str, unknown)))
            )
        missing = [key for key in _REQUIRED if key not in data]
        if missing:
            raise ParameterError(describe("triage answers", f"the keys {', '.join(_REQUIRED)}", f"no {', '.join(missing)}"))
        return cls(**{key: data[key] for key in _FIELDS if key in data})


def read_answers(path) -> TriageAnswers:
    """The answers in a JSON file (see the module docstring), validated.

    A missing or unreadable file, invalid JSON, or invalid answers is a
    :class:`~myoreflex.errors.ParameterError` naming the file.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParameterError(describe(f"answers file `{path}`", "a readable JSON file", type(exc).__name__ + f": {exc}")) from None
    try:
        return TriageAnswers.from_dict(data)
    except ParameterError as exc:
        raise ParameterError(f"answers file `{path}`: {exc}") from None


@dataclasses.dataclass(frozen=True)
class Rule:
    """One triage rule: ``when`` (conditions, all must hold), ``advice``, ``red_flag``, the advice
    ``text``, the explaining knowledge ``entry`` and the ``source_keys`` of ``sources.toml``."""

    id: str
    advice: str
    red_flag: bool
    when: Mapping
    text: str
    entry: str
    source_keys: tuple[str, ...]

    @property
    def source(self) -> str:
        """Full citations of the rule's sources, joined by ``"; "``."""
        sources = load_sources()
        return "; ".join(sources[key]["citation"] for key in self.source_keys)

    def applies(self, answers: TriageAnswers) -> bool:
        """Whether every condition of the rule holds for ``answers``."""
        return _holds(self.when, answers)


def _holds(when: Mapping, answers: TriageAnswers) -> bool:
    tests = {
        "location_in": lambda v: answers.location in v,
        "trigger_in": lambda v: answers.trigger in v,
        "sign_any": lambda v: bool(set(v) & set(answers.signs)),
        "duration_min_over": lambda v: answers.duration_min > v,
        "episodes_per_week_at_least": lambda v: answers.episodes_per_week >= v,
    }
    return all(tests[name](value) for name, value in when.items())


def _check_when(when, where: str) -> dict:
    if not isinstance(when, dict) or set(when) - set(_CONDITIONS):
        raise ParameterError(describe(f"{where}, `when`", f"a table of {', '.join(_CONDITIONS)}", repr(when)))
    vocabulary = {"location_in": LOCATIONS, "trigger_in": TRIGGERS, "sign_any": SIGNS}
    for name, value in when.items():
        if name in vocabulary:
            if not isinstance(value, list) or not value or not set(value) <= set(vocabulary[name]):
                raise ParameterError(describe(f"{where}, `{name}`", f"values from {', '.join(vocabulary[name])}", repr(value)))
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ParameterError(describe(f"{where}, `{name}`", "a finite number >= 0", repr(value)))
    return dict(when)


@functools.cache
def _rules_file() -> tuple[tuple[Rule, ...], tuple[tuple[str, Mapping], ...]]:
    table = _read_toml("triage_rules.toml")
    sources = load_sources()
    rules = []
    for index, raw in enumerate(table.get("rule", [])):
        where = f"triage rule {index + 1}"
        fields = {"id", "advice", "red_flag", "when", "text", "entry", "sources"}
        if set(raw) != fields:
            raise ParameterError(describe(where, f"exactly the fields {', '.join(sorted(fields))}", sorted(raw)))
        if raw["advice"] not in ADVICE or not isinstance(raw["red_flag"], bool):
            raise ParameterError(describe(where, f"advice in {', '.join(ADVICE)} and a boolean red_flag", repr(raw)))
        if raw["red_flag"] and raw["advice"] == "self_care":
            raise ParameterError(describe(f"triage rule `{raw['id']}`", "a red flag never to advise self-care", "self_care"))
        unknown = [key for key in raw["sources"] if key not in sources]
        if not raw["sources"] or unknown:
            raise ParameterError(describe(f"triage rule `{raw['id']}`", "keys of sources.toml", unknown or "none"))
        get_entry(raw["entry"])
        rules.append(Rule(raw["id"], raw["advice"], raw["red_flag"], _check_when(raw["when"], where),
                          raw["text"], raw["entry"], tuple(raw["sources"])))
    if len({rule.id for rule in rules}) != len(rules) or not any(not rule.when for rule in rules):
        raise ParameterError(describe("triage rules", "unique ids and one default rule with an empty `when`", "neither"))
    prevention = []
    for index, raw in enumerate(table.get("prevention", [])):
        get_entry(raw["entry"])
        prevention.append((raw["entry"], _check_when(raw["when"], f"prevention {index + 1}")))
    return tuple(rules), tuple(prevention)


def load_rules() -> tuple[Rule, ...]:
    """The triage rules, validated, in file order (red flags first)."""
    return _rules_file()[0]


def triage(answers: TriageAnswers | Mapping) -> dict:
    """Advice for one cramp or spasm.

    Parameters
    ----------
    answers
        :class:`TriageAnswers`, or a mapping with the same keys (validated the same way).

    Returns
    -------
    dict
        ``{"advice": "urgent" | "doctor" | "self_care", "rules": [{"rule", "source", "advice",
        "red_flag", "text", "entry"}], "prevention": [{"id", "title", "advice", "source"}],
        "notice": NOTICE}``. ``rules`` lists every rule that fired, red flags first, then the most
        urgent; the self-care default fires only when no other rule does. ``prevention`` lists the
        prevention advice that applies to the location and trigger.

    Examples
    --------
    >>> from myoreflex.knowledge.triage import triage
    >>> answer = triage({"location": "calf", "duration_min": 5, "episodes_per_week": 1,
    ...                  "trigger": "exercise", "signs": ["dark_urine", "numbness"]})
    >>> answer["advice"], [rule["rule"] for rule in answer["rules"]]
    ('urgent', ['dark_urine', 'numbness'])
    >>> answer["notice"].startswith("NOT MEDICAL ADVICE")
    True
    """
    if not isinstance(answers, TriageAnswers):
        answers = TriageAnswers.from_dict(answers)
    rules, prevention = _rules_file()
    fired = [rule for rule in rules if rule.when and rule.applies(answers)]
    if not fired:
        fired = [rule for rule in rules if not rule.when]
    fired.sort(key=lambda rule: (not rule.red_flag, ADVICE.index(rule.advice)))
    advice = min((rule.advice for rule in fired), key=ADVICE.index)
    return {
        "advice": advice,
        "rules": [
            {"rule": rule.id, "source": rule.source, "advice": rule.advice, "red_flag": rule.red_flag,
             "text": rule.text, "entry": rule.entry}
            for rule in fired
        ],
        "prevention": [
            {"id": entry.id, "title": entry.title, "advice": entry.text, "source": entry.source}
            for entry in (get_entry(entry_id) for entry_id, when in prevention if _holds(when, answers))
        ],
        "notice": NOTICE,
    }


_ADVICE_TEXT = {
    "urgent": "SEEK URGENT CARE NOW",
    "doctor": "SEE A DOCTOR SOON",
    "self_care": "SELF-CARE",
}


def render_triage(answer: Mapping) -> str:
    """Plain text of a :func:`triage` answer, for the command line: the notice first, in a box, then the
    advice, the rules that led to it with their sources, and the prevention advice.

    Examples
    --------
    >>> from myoreflex.knowledge.triage import render_triage, triage
    >>> text = render_triage(triage({"location": "chest", "duration_min": 2, "episodes_per_week": 1,
    ...                              "trigger": "rest"}))
    >>> text.splitlines()[1].startswith("! NOT MEDICAL ADVICE"), "Advice: SEEK URGENT CARE NOW" in text
    (True, True)
    """
    import textwrap

    notice = textwrap.wrap(answer["notice"], 96)
    bar = "!" * 100
    lines = [bar, *(f"! {line:<96} !" for line in notice), bar, "", f"Advice: {_ADVICE_TEXT[answer['advice']]}"]
    for rule in answer["rules"]:
        flag = " (red flag)" if rule.get("red_flag") else ""
        lines += ["", f"- {rule['text']}{flag}", f"  rule: {rule['rule']}; source: {rule['source']}"]
    if answer["prevention"]:
        lines += ["", "What may help:"]
        for item in answer["prevention"]:
            lines += [f"- {item['title']}: {item['advice']}", f"  source: {item['source']}"]
    return "\n".join(lines)
