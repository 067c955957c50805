"""The triage helper: a table of cases with the advice each must get, every red flag alone and in
combination never answered with self-care, and bad answers refused with the field and allowed values
named. Every rule of triage_rules.toml fires in at least one case of the table."""

import itertools
import json

import pytest

from myoreflex.errors import ParameterError
from myoreflex.knowledge import get_entry
from myoreflex.knowledge.triage import (
    LOCATIONS,
    NOTICE,
    SIGNS,
    TRIGGERS,
    TriageAnswers,
    load_rules,
    read_answers,
    triage,
)


def answers(location="calf", duration_min=2, episodes_per_week=1, trigger="night", signs=()):
    return {"location": location, "duration_min": duration_min, "episodes_per_week": episodes_per_week,
            "trigger": trigger, "signs": list(signs)}


# (case, answers, expected advice, rules that must fire)
CASES = [
    ("night calf cramp, short, weekly", answers(), "self_care", {"no_warning_sign"}),
    ("foot cramp at rest, once a month", answers("foot", 1, 0.25, "rest"), "self_care", {"no_warning_sign"}),
    ("thigh cramp in a race, once", answers("thigh", 5, 0.5, "exercise"), "self_care", {"no_warning_sign"}),
    ("hand cramp writing, no trigger", answers("hand", 1, 1, "none"), "self_care", {"no_warning_sign"}),
    ("eyelid twitch with stress", answers("eyelid", 1, 2, "stress"), "self_care", {"no_warning_sign"}),
    ("neck spasm with stress", answers("neck", 8, 1, "stress"), "self_care", {"no_warning_sign"}),
    ("back spasm in the cold", answers("back", 5, 1, "cold"), "self_care", {"no_warning_sign"}),
    ("abdominal muscle cramp in sit-ups", answers("abdomen", 1, 1, "exercise"), "self_care", {"no_warning_sign"}),
    ("exactly ten minutes is not over ten", answers(duration_min=10), "self_care", {"no_warning_sign"}),
    ("just under three a week", answers(episodes_per_week=2.9), "self_care", {"no_warning_sign"}),
    ("calf cramp in exercise once a week", answers("calf", 3, 1, "exercise"), "self_care", {"no_warning_sign"}),
    ("chest cramp", answers("chest", 1, 0.25, "rest"), "urgent", {"chest_or_upper_arm"}),
    ("upper arm cramp in exercise", answers("upper_arm", 2, 0.5, "exercise"), "urgent", {"chest_or_upper_arm"}),
    ("calf cramp over an hour", answers(duration_min=75), "urgent", {"longer_than_an_hour", "longer_than_ten_minutes"}),
    ("neck spasm of 90 minutes", answers("neck", 90, 0.5, "stress"), "urgent", {"longer_than_an_hour"}),
    ("dark urine after a race", answers("thigh", 5, 0.5, "exercise", ["dark_urine"]), "urgent", {"dark_urine"}),
    ("swollen calf at night", answers(signs=["calf_swelling"]), "urgent", {"calf_swelling"}),
    ("swollen calf in pregnancy", answers(signs=["calf_swelling", "pregnancy"]), "urgent", {"calf_swelling", "pregnancy"}),
    ("weakness with cramps", answers(signs=["weakness"]), "doctor", {"weakness_or_wasting"}),
    ("wasting hand muscles", answers("hand", 1, 1, "none", ["wasting"]), "doctor", {"weakness_or_wasting"}),
    ("weakness, wasting and twitching", answers(signs=["weakness", "wasting", "fasciculations"]), "doctor",
     {"weakness_or_wasting", "fasciculations"}),
    ("cramp lasting 15 minutes", answers(duration_min=15), "doctor", {"longer_than_ten_minutes"}),
    ("cramps every night", answers(episodes_per_week=7), "doctor", {"frequent"}),
    ("cramps three times a week", answers(episodes_per_week=3), "doctor", {"frequent"}),
    ("twitching with cramps", answers(signs=["fasciculations"]), "doctor", {"fasciculations"}),
    ("numbness with cramps", answers(signs=["numbness"]), "doctor", {"numbness"}),
    ("fever with spasms", answers("back", 5, 1, "none", ["fever"]), "doctor", {"fever"}),
    ("cramps after a new statin", answers(signs=["new_medicine"]), "doctor", {"new_medicine"}),
    ("night cramps in pregnancy", answers(signs=["pregnancy"]), "doctor", {"pregnancy"}),
    ("facial spasm", answers("face", 1, 2, "none"), "doctor", {"face_spasm"}),
    ("calf pain on every walk", answers("calf", 3, 4, "exercise"), "doctor", {"leg_pain_on_exercise", "frequent"}),
    ("thigh pain on walking twice a week", answers("thigh", 3, 2, "exercise"), "doctor", {"leg_pain_on_exercise"}),
    ("chest cramp with numbness", answers("chest", 3, 1, "stress", ["numbness"]), "urgent", {"chest_or_upper_arm", "numbness"}),
    ("everything at once", answers("upper_arm", 120, 10, "exercise", SIGNS), "urgent",
     {"chest_or_upper_arm", "longer_than_an_hour", "dark_urine", "calf_swelling", "weakness_or_wasting"}),
]


@pytest.mark.parametrize(("case", "given", "advice", "must_fire"), CASES, ids=[case[0] for case in CASES])
def test_triage_table(case, given, advice, must_fire):
    answer = triage(given)
    fired = [rule["rule"] for rule in answer["rules"]]
    assert answer["advice"] == advice, (case, fired)
    assert must_fire <= set(fired), (case, fired)
    if advice != "self_care":
        assert "no_warning_sign" not in fired


def test_the_table_is_large_enough_and_every_rule_fires_in_it():
    assert len(CASES) >= 30
    fired = {rule["rule"] for _, given, _, _ in CASES for rule in triage(given)["rules"]}
    assert fired == {rule.id for rule in load_rules()}


RED_FLAGS = [rule for rule in load_rules() if rule.red_flag]
BENIGN_LOCATIONS = [location for location in LOCATIONS if location not in ("chest", "upper_arm")]


def test_the_red_flags_are_the_issues():
    assert {rule.id for rule in RED_FLAGS} == {
        "chest_or_upper_arm", "longer_than_an_hour", "weakness_or_wasting", "calf_swelling", "dark_urine"}


def _raise_flag(rule, base: dict) -> dict:
    """``base`` changed just enough for ``rule`` to fire."""
    given = dict(base)
    when = rule.when
    if "location_in" in when:
        given["location"] = when["location_in"][0]
    if "duration_min_over" in when:
        given["duration_min"] = when["duration_min_over"] + 1
    if "sign_any" in when:
        given["signs"] = sorted(set(given["signs"]) | {when["sign_any"][0]})
    return given


@pytest.mark.parametrize("rule", RED_FLAGS, ids=[rule.id for rule in RED_FLAGS])
def test_a_red_flag_with_any_benign_answers_is_never_self_care(rule):
    for location, trigger in itertools.product(BENIGN_LOCATIONS, TRIGGERS):
        base = answers(location, 1, 0.25, trigger)
        assert triage(base)["advice"] == "self_care" or location == "face"
        answer = triage(_raise_flag(rule, base))
        assert answer["advice"] != "self_care", (rule.id, location, trigger)
        assert answer["rules"][0]["red_flag"] and rule.id in [r["rule"] for r in answer["rules"]]


def test_red_flags_combined_are_never_self_care_and_come_first():
    for count in range(1, len(RED_FLAGS) + 1):
        for flags in itertools.combinations(RED_FLAGS, count):
            given = answers("foot", 1, 0.5, "rest")
            for rule in flags:
                given = _raise_flag(rule, given)
            answer = triage(given)
            assert answer["advice"] != "self_care"
            flagged = [rule["red_flag"] for rule in answer["rules"]]
            assert flagged == sorted(flagged, reverse=True)
            if any(rule.advice == "urgent" for rule in flags):
                assert answer["advice"] == "urgent"


def test_more_signs_never_make_the_advice_less_urgent():
    order = {"self_care": 0, "doctor": 1, "urgent": 2}
    for base in (answers(), answers("neck", 5, 1, "stress"), answers("eyelid", 1, 0.5, "none")):
        for count in range(len(SIGNS) + 1):
            for signs in itertools.combinations(SIGNS, count):
                given = dict(base, signs=list(signs))
                worse = dict(given, signs=list(SIGNS))
                assert order[triage(given)["advice"]] <= order[triage(worse)["advice"]]
                if signs:
                    assert triage(given)["advice"] != "self_care"


def test_the_answer_has_exactly_the_documented_keys_a_prominent_notice_and_sources():
    answer = triage(answers(signs=["numbness"]))
    json.dumps(answer)
    assert set(answer) == {"advice", "rules", "prevention", "notice"}
    assert answer["notice"] == NOTICE
    assert "not a medical device" in NOTICE and "does not replace" in NOTICE
    for rule in answer["rules"]:
        assert rule["rule"] and rule["source"] and rule["text"]
    for item in answer["prevention"]:
        assert item["advice"] and item["source"]


def test_prevention_follows_location_and_trigger():
    ids = lambda given: [item["id"] for item in triage(given)["prevention"]]
    assert "prevent_night_stretching" in ids(answers())
    assert "prevent_fluids" in ids(answers("thigh", 3, 1, "exercise"))
    assert "prevent_night_stretching" not in ids(answers("thigh", 3, 1, "exercise"))
    assert "kind_neck_back" in ids(answers("neck", 3, 1, "none"))
    assert ids(answers("eyelid", 1, 1, "none")) == ["treat_during_cramp"]


def test_every_rule_names_an_entry_and_its_sources():
    for rule in load_rules():
        assert get_entry(rule.entry)
        assert rule.source


BAD = [
    (dict(answers(), location="knee"), "location.*calf, foot"),
    (dict(answers(), trigger="coffee"), "trigger.*exercise, night"),
    (dict(answers(), signs=["headache"]), "signs.*weakness, wasting"),
    (dict(answers(), signs="fever"), "signs.*a list"),
    (dict(answers(), signs=None), "signs"),
    (dict(answers(), duration_min=-1), "duration_min.*>= 0"),
    (dict(answers(), duration_min=float("nan")), "duration_min"),
    (dict(answers(), duration_min="long"), "duration_min"),
    (dict(answers(), episodes_per_week=True), "episodes_per_week"),
    (dict(answers(), episodes_per_week=float("inf")), "episodes_per_week"),
    (dict(answers(), age=40), "only the keys"),
    ({key: value for key, value in answers().items() if key != "trigger"}, "no trigger"),
    (["calf", 2, 1, "night"], "JSON object"),
]


@pytest.mark.parametrize(("given", "message"), BAD, ids=[message for _, message in BAD])
def test_bad_answers_are_refused_naming_the_field_and_the_allowed_values(given, message):
    with pytest.raises(ParameterError, match=message):
        triage(given)


def test_answers_are_read_from_a_json_file(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers(signs=["fever", "fever"])))
    assert read_answers(path) == TriageAnswers("calf", 2.0, 1.0, "night", ("fever",))
    path.write_text("{not json")
    with pytest.raises(ParameterError, match="answers.json"):
        read_answers(path)
    path.write_text(json.dumps(dict(answers(), location="knee")))
    with pytest.raises(ParameterError, match="answers.json.*location"):
        read_answers(path)
    with pytest.raises(ParameterError, match="missing.json"):
        read_answers(tmp_path / "missing.json")


def test_answers_are_frozen():
    given = TriageAnswers("calf", 2, 1, "night")
    with pytest.raises(AttributeError):
        given.location = "chest"
