"""The knowledge base: every entry complete and sourced, every item of the project's seed page covered,
``explain`` finding entries by term (the evidence is the data itself; these are completeness and
behaviour tests, not reference tests)."""

import importlib.util
import json
import os
import re
from pathlib import Path

import pytest

from myoreflex.errors import ParameterError
from myoreflex.knowledge import (
    KINDS,
    _entry,
    coverage,
    explain,
    get_entry,
    load_entries,
    load_sources,
    parse_seed_items,
)

SHARED = Path(os.environ.get("MYOREFLEX_SHARED", Path(__file__).resolve().parents[3] / "shared"))
SEED = SHARED / "science" / "SEED-KNOWLEDGE.md"


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.is_file():
        pytest.skip(f"seed page not found at {SEED}")
    return SEED.read_text(encoding="utf-8")


ENTRIES = load_entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.id for entry in ENTRIES])
def test_every_entry_has_every_field_and_a_source(entry):
    assert entry.kind in KINDS
    for field in ("id", "title", "text", "source", "evidence"):
        assert getattr(entry, field).strip(), field
    assert entry.terms and entry.source_keys
    sentences = re.findall(r"[.!?](?:\s|$)", entry.text)
    assert 1 <= len(sentences) <= 4, (entry.id, len(sentences))
    sources = load_sources()
    for key in entry.source_keys:
        citation = sources[key]["citation"]
        assert "; " not in citation, key  # the joined `source` text splits back into citations
        assert re.search(r"\b(19|20)\d\d\b|nhs\.uk", citation), key  # a year, or the NHS's living page


def test_the_kinds_the_issue_asks_for_are_all_present():
    kinds = {entry.kind for entry in ENTRIES}
    assert {"cause", "symptom", "complication", "prevention", "seek_care", "spasm_kind"} <= kinds


def test_every_source_is_cited_and_says_how_it_was_checked():
    sources = load_sources()
    used = {key for entry in ENTRIES for key in entry.source_keys}
    from myoreflex.knowledge.triage import load_rules

    used |= {key for rule in load_rules() for key in rule.source_keys}
    assert set(sources) == used
    assert all(source["checked"].strip() and source["citation"].strip() for source in sources.values())


def test_links_name_real_model_parts_and_simulations():
    from myoreflex.conditions import CONDITIONS

    for entry in ENTRIES:
        for link in entry.links:
            command = re.fullmatch(r"myoreflex simulate (pendulum|stretch) --condition (\w+)", link)
            if command:
                assert command.group(2) in CONDITIONS, (entry.id, link)
            elif link.startswith("myoreflex."):
                assert importlib.util.find_spec(link) is not None, (entry.id, link)
            else:
                assert link == "simulate cramp (issue 16, planned)", (entry.id, link)


def test_fatigue_links_to_the_cramp_simulation():
    fatigue = get_entry("cause_fatigue")
    assert "simulate cramp (issue 16, planned)" in fatigue.links


def test_every_seed_item_has_an_entry_with_a_source(seed_text):
    items = parse_seed_items(seed_text)
    assert len(items) >= 28  # 28 bullets, plus the numbered points of the two physiology/situation bullets
    uncovered = [item for item, ids in coverage(seed_text).items() if not ids]
    assert not uncovered, uncovered
    for ids in coverage(seed_text).values():
        assert all(get_entry(entry_id).source for entry_id in ids)


def test_every_seed_item_an_entry_names_exists_in_the_seed_page(seed_text):
    items = parse_seed_items(seed_text)
    named = {item for entry in ENTRIES for item in entry.seed_items}
    assert named - set(items) == set()


def test_the_seed_pages_errors_are_corrected_where_the_entries_cover_them():
    for entry_id in ("cramp_prevalence", "prevent_diet_minerals", "prevent_hypocalcaemia", "treat_hemifacial",
                     "kind_tension", "cause_dehydration", "kind_fasciculation"):
        evidence = get_entry(entry_id).evidence.lower()
        assert "correction" in evidence or "debated" in evidence, entry_id
    assert "botulinum" in get_entry("treat_hemifacial").text.lower()


def test_explain_cramp_lists_entries_with_sources():
    found = explain("cramp")
    json.dumps(found)
    assert found["term"] == "cramp"
    assert len(found["entries"]) >= 10
    assert found["entries"][0]["id"] == "cramp"
    for item in found["entries"]:
        assert {"title", "text", "source", "evidence"} <= set(item)
        assert item["source"] and item["evidence"]


def test_explain_matches_case_and_plural_but_keeps_spasm_and_spasticity_apart():
    ids = lambda term: [item["id"] for item in explain(term)["entries"]]
    assert ids("Cramps") == ids("cramp")
    assert "spasticity_lance" in ids("SPASTICITY")
    assert "spasticity_lance" not in ids("spasm")
    assert ids("hemifacial spasm")[0] == "kind_hemifacial"
    assert "cause_fatigue" in ids("fatigue")


@pytest.mark.parametrize("term", ["xylophone", "quantum cramp chromodynamics"])
def test_an_unknown_term_gives_no_entries_not_an_error(term):
    assert explain(term) == {"term": term, "entries": []}


@pytest.mark.parametrize("term", ["", "   ", "the of", None, 3])
def test_a_term_with_nothing_to_look_up_is_refused(term):
    with pytest.raises(ParameterError, match="term"):
        explain(term)


def test_a_malformed_entry_is_refused_with_its_place():
    good = {"id": "x", "kind": "cause", "title": "T", "text": "T.", "sources": ["allen_kirby_2012"],
            "evidence": "E", "terms": ["t"], "seed_items": [], "links": []}
    sources = load_sources()
    assert _entry(good, "here", sources).source.startswith("Allen RE")
    for bad, word in ((dict(good, kind="rumour"), "kind"), (dict(good, sources=["nobody_2020"]), "sources"),
                      ({k: v for k, v in good.items() if k != "evidence"}, "fields"), (dict(good, title=" "), "title"),
                      (dict(good, terms=[]), "terms")):
        with pytest.raises(ParameterError, match=word):
            _entry(bad, "here", sources)


def test_get_entry_suggests_close_ids():
    with pytest.raises(ParameterError, match="cramp"):
        get_entry("cramps")
