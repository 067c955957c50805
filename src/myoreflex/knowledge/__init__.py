"""The sourced knowledge base on cramps, spasms and spasticity, and the term lookup behind ``explain``.

A research and teaching tool, not a medical device: nothing here diagnoses anyone or replaces a
clinician.

The knowledge is data that ships inside the package: ``entries/*.toml`` (one file per topic, one
``[[entry]]`` table per cause, symptom, complication, prevention measure, seek-care rule, kind of spasm,
definition, mechanism, assessment or treatment) and ``sources.toml`` (every cited source once, with a
note of how it was checked). Each entry is written in the project's own words and carries:

``id``, ``kind``, ``title``, ``text`` (1-4 sentences), ``sources`` (keys of ``sources.toml``),
``evidence`` (strength, and where the project's source page was wrong or garbled, the correction),
``terms`` (search words), ``seed_items`` (the items of ``shared/science/SEED-KNOWLEDGE.md`` it covers,
``"Section/n"``, or ``"Section/n.k"`` for the k-th numbered point of a bullet) and ``links`` (model
parts and simulations that show the mechanism).

The triage helper is :mod:`myoreflex.knowledge.triage`.

Examples
--------
>>> from myoreflex.knowledge import explain
>>> found = explain("cramps")
>>> found["term"], len(found["entries"]) > 5
('cramps', True)
>>> sorted(found["entries"][0])[:4]
['evidence', 'id', 'kind', 'links']
>>> explain("nonexistent-word")["entries"]
[]
"""

from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
from collections.abc import Mapping
from importlib import resources

from myoreflex.errors import ParameterError, describe

__all__ = [
    "KINDS",
    "Entry",
    "coverage",
    "explain",
    "get_entry",
    "load_entries",
    "load_sources",
    "parse_seed_items",
    "render_explain",
]

KINDS = (
    "definition",
    "spasm_kind",
    "cause",
    "mechanism",
    "symptom",
    "complication",
    "prevention",
    "treatment",
    "seek_care",
    "assessment",
)
"""The kinds of entry, in the order ``explain`` and the Learn pages list them."""

_FIELDS = ("id", "kind", "title", "text", "sources", "evidence", "terms", "seed_items", "links")
_STOPWORDS = frozenset(["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "its", "not", "of", "on", "or", "the", "to", "with"])


@dataclasses.dataclass(frozen=True)
class Entry:
    """One knowledge entry (see the module docstring for the fields); ``source`` is the full citation
    text of every source, joined by ``"; "``."""

    id: str
    kind: str
    title: str
    text: str
    source: str
    evidence: str
    terms: tuple[str, ...]
    seed_items: tuple[str, ...]
    links: tuple[str, ...]
    source_keys: tuple[str, ...]

    def as_dict(self) -> dict:
        """The entry as JSON-ready data: title, text, source and evidence first, then the rest."""
        return {
            "title": self.title,
            "text": self.text,
            "source": self.source,
            "evidence": self.evidence,
            "id": self.id,
            "kind": self.kind,
            "links": list(self.links),
            "seed_items": list(self.seed_items),
        }


def _data(name: str):
    return resources.files(__name__).joinpath(name)


def _read_toml(name: str) -> dict:
    path = _data(name)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(describe(f"knowledge file `{name}`", "valid TOML", str(exc))) from None


@functools.cache
def load_sources() -> Mapping[str, Mapping[str, str]]:
    """Every source, by key: ``{"citation": ..., "checked": ...}``."""
    table = _read_toml("sources.toml")
    for key, source in table.items():
        if set(source) != {"citation", "checked"} or not all(str(v).strip() for v in source.values()):
            raise ParameterError(describe(f"source `{key}`", "non-empty `citation` and `checked`", sorted(source)))
    return table


def _strings(value, where: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ParameterError(describe(where, "a list of non-empty strings", repr(value)))
    if not value and not allow_empty:
        raise ParameterError(describe(where, "at least one item", "[]"))
    return tuple(value)


def _entry(raw: dict, where: str, sources: Mapping[str, Mapping[str, str]]) -> Entry:
    if set(raw) != set(_FIELDS):
        raise ParameterError(
            describe(where, f"exactly the fields {', '.join(_FIELDS)}", ", ".join(sorted(raw)))
        )
    for name in ("id", "kind", "title", "text", "evidence"):
        if not isinstance(raw[name], str) or not raw[name].strip():
            raise ParameterError(describe(f"{where}, field `{name}`", "a non-empty string", repr(raw[name])))
    if raw["kind"] not in KINDS:
        raise ParameterError(describe(f"{where}, field `kind`", f"one of {', '.join(KINDS)}", repr(raw["kind"])))
    keys = _strings(raw["sources"], f"{where}, field `sources`")
    unknown = [key for key in keys if key not in sources]
    if unknown:
        raise ParameterError(describe(f"{where}, field `sources`", "keys of sources.toml", ", ".join(unknown)))
    return Entry(
        id=raw["id"],
        kind=raw["kind"],
        title=raw["title"],
        text=raw["text"],
        source="; ".join(sources[key]["citation"] for key in keys),
        evidence=raw["evidence"],
        terms=_strings(raw["terms"], f"{where}, field `terms`"),
        seed_items=_strings(raw["seed_items"], f"{where}, field `seed_items`", allow_empty=True),
        links=_strings(raw["links"], f"{where}, field `links`", allow_empty=True),
        source_keys=keys,
    )


@functools.cache
def load_entries() -> tuple[Entry, ...]:
    """Every entry of ``entries/*.toml``, validated, in file-name then file order.

    Examples
    --------
    >>> from myoreflex.knowledge import load_entries
    >>> entries = load_entries()
    >>> all(entry.source for entry in entries), len({entry.id for entry in entries}) == len(entries)
    (True, True)
    """
    sources = load_sources()
    entries: list[Entry] = []
    files = sorted(
        (item for item in _data("entries").iterdir() if item.name.endswith(".toml")), key=lambda item: item.name
    )
    for item in files:
        table = _read_toml(f"entries/{item.name}")
        if set(table) - {"entry"}:
            raise ParameterError(describe(f"knowledge file `{item.name}`", "only [[entry]] tables", sorted(table)))
        for index, raw in enumerate(table.get("entry", [])):
            entries.append(_entry(raw, f"knowledge file `{item.name}`, entry {index + 1}", sources))
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise ParameterError(describe(f"knowledge entry `{entry.id}`", "a unique id", "a duplicate"))
        seen.add(entry.id)
    return tuple(entries)


def get_entry(entry_id: str) -> Entry:
    """The entry with this id, or a :class:`~myoreflex.errors.ParameterError` naming close ids."""
    for entry in load_entries():
        if entry.id == entry_id:
            return entry
    import difflib

    close = difflib.get_close_matches(str(entry_id), [entry.id for entry in load_entries()], n=3)
    hint = f"did you mean {', '.join(close)}?" if close else ""
    raise ParameterError(describe("knowledge entry", "a known entry id", repr(entry_id), hint))


def _stem(word: str) -> str:
    """A deliberately small stemmer: plural and possessive endings only (cramps -> cramp, spasms ->
    spasm, injuries -> injury, bell's -> bell); it never merges spasm with spasticity."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _tokens(text: str) -> tuple[str, ...]:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("'s", ""))
    return tuple(_stem(word) for word in words if word not in _STOPWORDS)


def explain(term: str) -> dict:
    """The entries about ``term``: ``{"term": term, "entries": [{"title", "text", "source", "evidence",
    "id", "kind", "links", "seed_items"}, ...]}``.

    Matching is case-insensitive on the entries' search terms and titles, with plural endings removed
    (``cramps`` finds ``cramp``); every word of a multi-word term must appear. Entries whose search term
    equals ``term`` come first, then those whose title contains it, then the rest, each group in
    :data:`KINDS` order. A term nothing matches gives an empty list, not an error; a term that is not a
    string or has no searchable word is refused.

    Examples
    --------
    >>> from myoreflex.knowledge import explain
    >>> [entry["id"] for entry in explain("Hemifacial spasms")["entries"]]
    ['kind_hemifacial', 'treat_hemifacial', 'assess_hemifacial_mri']
    """
    if not isinstance(term, str) or not _tokens(term):
        raise ParameterError(describe("term", "a word or phrase to look up", repr(term)))
    wanted = _tokens(term)
    ranked = []
    for position, entry in enumerate(load_entries()):
        term_tokens = [_tokens(t) for t in entry.terms]
        title_tokens = set(_tokens(entry.title))
        words = title_tokens.union(*map(set, term_tokens))
        if not set(wanted) <= words:
            continue
        if wanted in term_tokens:
            group = 0
        elif set(wanted) <= title_tokens:
            group = 1
        else:
            group = 2
        ranked.append((group, KINDS.index(entry.kind), position, entry))
    ranked.sort(key=lambda item: item[:3])
    return {"term": term, "entries": [item[3].as_dict() for item in ranked]}


def render_explain(found: Mapping) -> str:
    """Plain text of an :func:`explain` result, for the command line: each entry's title, text, source
    and evidence, or a line saying nothing was found.

    Examples
    --------
    >>> from myoreflex.knowledge import explain, render_explain
    >>> print(render_explain(explain("xylophone")))
    No entry about 'xylophone'. Try a broader word, such as cramp, spasm or spasticity.
    >>> render_explain(explain("tendon organ")).splitlines()[0]
    'Golgi tendon organs and why stretching stops a cramp [mechanism]'
    """
    if not found["entries"]:
        return f"No entry about {found['term']!r}. Try a broader word, such as cramp, spasm or spasticity."
    blocks = []
    for entry in found["entries"]:
        lines = [f"{entry['title']} [{entry['kind']}]", entry["text"], f"Evidence: {entry['evidence']}"]
        lines.append(f"Source: {entry['source']}")
        if entry.get("links"):
            lines.append(f"See also: {', '.join(entry['links'])}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


_HEADING = re.compile(r"^##\s+(.+?)\s*$")
_BULLET = re.compile(r"^(?:-|\d+\.)\s+(.*)$")


def parse_seed_items(text: str) -> dict[str, str]:
    """The items of a SEED-KNOWLEDGE page: ``{"Section/n": bullet text}``, plus ``"Section/n.k"`` for
    every numbered point ``(k)`` inside a bullet. The section is the ``##`` heading up to any
    parenthesis; bullets are ``-`` or ``1.`` lines at the left margin, continued by indented lines.

    The package never reads the shared page itself; the test of :func:`coverage` passes its text in.

    Examples
    --------
    >>> from myoreflex.knowledge import parse_seed_items
    >>> page = "## Causes (the page's)\\n- Neural: stroke.\\n- Situations: (1) fatigue;\\n  (2) cold.\\n"
    >>> sorted(parse_seed_items(page))
    ['Causes/1', 'Causes/2', 'Causes/2.1', 'Causes/2.2']
    """
    items: dict[str, str] = {}
    section, count, current = None, 0, None
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            section, count, current = heading.group(1).split(" (")[0].strip(), 0, None
            continue
        bullet = _BULLET.match(line)
        if section and bullet:
            count += 1
            current = f"{section}/{count}"
            items[current] = bullet.group(1).strip()
        elif current and line.startswith((" ", "\t")) and line.strip():
            items[current] += " " + line.strip()
        elif not line.strip():
            continue
        else:
            current = None
    for key, body in list(items.items()):
        for number in sorted({int(n) for n in re.findall(r"\((\d+)\)", body)}):
            items[f"{key}.{number}"] = body
    return items


def coverage(seed_text: str | None = None) -> dict[str, list[str]]:
    """Which entries cover each seed item: ``{"Section/n": [entry ids]}``.

    Without ``seed_text`` the keys are the items the entries name. With the text of SEED-KNOWLEDGE.md,
    the keys are every item of that page (:func:`parse_seed_items`), an uncovered one mapping to ``[]``;
    an entry that covers ``"Section/n.k"`` also covers ``"Section/n"``.

    Examples
    --------
    >>> from myoreflex.knowledge import coverage
    >>> "spasticity_lance" in coverage()["Definition/2"]
    True
    """
    named: dict[str, list[str]] = {}
    for entry in load_entries():
        for item in entry.seed_items:
            named.setdefault(item, []).append(entry.id)
            parent = item.split(".")[0]
            if parent != item:
                named.setdefault(parent, []).append(entry.id)
    if seed_text is None:
        return named
    return {item: sorted(set(named.get(item, []))) for item in parse_seed_items(seed_text)}
