"""One self-contained HTML report of recordings: measures, healthy references, figures, fit, sources.

:func:`build_report` reads each recording (a file, or a dataset name of :mod:`myoreflex.datasets`),
decides which test it holds and measures it with the library's own measures, the same calls as
``myoreflex assess``:

- a single angle recording without torque or force is a **pendulum test**:
  :meth:`myoreflex.protocols.PendulumTest.measure` (R1, R2n, swings, ...) against the healthy
  references the code carries (:data:`myoreflex.measures.pendulum.BAJD_BOWMAN_NORMAL_R1`,
  :data:`myoreflex.measures.clinical.POPOVIC_HEALTHY` and ``POPOVIC_CONTROLS``), the
  Popovic-Maneski parameters and the Ashworth-like estimate of :mod:`myoreflex.measures.clinical`;
- a file of several stretch segments (an IPSA ``.mat``) is a **series of hand-held stretches**:
  the neural component of each fast stretch against the slow ones
  (:func:`myoreflex.measures.manual.measure`, as ``assess manual``), the same measure of each slow
  stretch against the other slow ones as the within-subject control (the module's ``check_slower=
  False`` control, whose neural component is about 0), and the TSRT regression over every segment
  (:func:`myoreflex.measures.threshold.measure`, as ``assess threshold``) when there is EMG;
- single-stretch files with torque (two or more) are **motorized stretches**: the NeuroFlexor
  decomposition of the slowest against the fastest (:func:`myoreflex.measures.decomposition.measure`,
  as ``assess stretch``; flags against Pennati et al. 2016 with ``lever_arm_m``) and the TSRT when
  there is EMG.

A measure whose quality gate fails is not reported: its section says which gate and why (as the
command line's error), and ``lenient=True`` reports the numbers with the failed gates named, as
``--lenient`` does. A measure that refuses a recording for another reason (no stretch or no swing
found in it, say) is left out the same way, the rest of its section kept; a section whose recording
cannot be measured at all is skipped: it keeps its title (marked "skipped") and the recording's
facts, and one line says why, so one recording cannot sink the report of the others. A file that
cannot be read, or holds none of these tests, raises :class:`~myoreflex.errors.RecordingError` and
nothing is written.

The page is one file: figures are PNGs inside it (base64 ``data:`` URIs), the style sheet is inline,
nothing is fetched (no scripts, fonts or links). Every text that comes from a file (names, channels,
messages quoting them) is escaped. Subject data come only from the caller (``subject=``): nothing
of a file's participant record is printed (an IPSA ``pinfo`` holds a birth date, names and body
measures; the reader keeps none of them but the load-cell lever arm, and the report does not print
that either). The notice "research and teaching tool, not a medical device, not a diagnosis"
opens and closes the page. With ``out`` ending in ``.pdf`` the same page is printed to PDF by
WeasyPrint (the ``pdf`` extra). The file is written atomically
(:func:`myoreflex.io.results.atomic_path`).

References: every measure row names its source as the measure's code cites it; the References
section lists every paper named in those sources once (:func:`cited_works`). "ANCHORS x.y" is the
section of the project's anchors document (science/ANCHORS.md) that quotes the published number.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import html
import io
import json
import math
import platform
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from myoreflex.errors import (
    MyoreflexError,
    NotSupported,
    ParameterError,
    QualityGateError,
    RecordingError,
    describe,
    require_extra,
)
from myoreflex.measures import shown

NOTICE = ("Research and teaching tool, not a medical device. These numbers are not a diagnosis and must "
          "not be used for diagnosis or treatment decisions.")
"""The notice that opens and closes every report."""
REPORT_SUFFIXES = (".html", ".htm", ".pdf")
"""What :func:`build_report` writes: HTML, or PDF through WeasyPrint (the ``pdf`` extra)."""
BAJD_BOWMAN_1982 = "Bajd & Bowman 1982, J Biomed Eng 4:90 (ANCHORS 4.1)"
"""The source of the normal R1 as :data:`myoreflex.measures.pendulum.BAJD_BOWMAN_NORMAL_R1` cites it."""
FIGURE_DPI = 100
SUBJECT_FIELDS = (("age_years", "age", "years"), ("sex", "sex", ""), ("body_mass_kg", "body mass", "kg"),
                  ("height_m", "height", "m"))
"""The subject fields a report shows, when the caller gives them (name, label, unit)."""

# ------------------------------------------------------------------------------------------------
# What a report is made of


@dataclasses.dataclass(frozen=True)
class Row:
    """One measure: its value (already formatted), unit, healthy reference and where both come from."""

    name: str
    value: str
    unit: str = ""
    healthy: str = ""
    source: str = ""
    key: str = ""  # machine-readable name (data-measure attribute), e.g. r1


@dataclasses.dataclass
class Section:
    """One recording (or group of recordings) and what was measured on it."""

    title: str
    test: str
    facts: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    tables: list[tuple[str, list[Row]]] = dataclasses.field(default_factory=list)
    figures: list[tuple[str, bytes]] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    sources: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class _Recording:
    label: str
    path: Path
    trials: list
    options: dict
    dataset: Any = None


# ------------------------------------------------------------------------------------------------
# Small helpers


def _e(value: Any) -> str:
    """Any value as escaped HTML text (quotes too: safe inside attributes)."""
    return html.escape(str(value), quote=True)


def _interval(low: Any, high: Any) -> str:
    return f"{shown(low)} to {shown(high)}"


def _png(figure) -> bytes:
    """A matplotlib figure as PNG bytes (the figure functions build it without pyplot)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    return buffer.getvalue()


def _one_line(error: BaseException) -> str:
    """An error as one line of text (its message with every run of whitespace one space)."""
    return " ".join(str(error).split()) or type(error).__name__


def _refused(section: Section, what: str, error: Exception) -> None:
    """A measure that could not be reported: the error in the section, the numbers left out."""
    section.warnings.append(f"{what} not reported: {_one_line(error)}")


NOT_MEASURABLE = (MyoreflexError, ValueError)
"""What a measure raises for a recording it cannot measure (the myoreflex errors, and NumPy's on
degenerate data); a missing extra (:class:`~myoreflex.errors.NotSupported`) still stops the report."""


def _measured(title: str, test: str, facts, build) -> Section:
    """The section ``build()`` makes; when its recording cannot be measured at all, the section
    skipped: its title marked, its facts, and one line saying why."""
    try:
        return build()
    except NotSupported:
        raise
    except NOT_MEASURABLE as error:
        section = Section(f"{title} (skipped)", test, list(facts))
        section.warnings.append(f"{title}: section skipped, the recording could not be measured: {_one_line(error)}")
        return section


_AUTHOR = r"[A-Z][A-Za-z'\-]+"
_WORK = re.compile(
    rf"(?P<authors>{_AUTHOR}(?: et al\.|(?:, {_AUTHOR})*(?: & {_AUTHOR}))?),? (?P<year>(?:19|20)\d\d)\b"
    r"(?P<rest>,? (?:[A-Z][A-Za-z.]*\.? )*[A-Za-z.]* ?\d+:\d+(?:-\d+)?)?"
)


def cited_works(sources: Iterable[str]) -> list[str]:
    """The papers named in ``sources`` (the source strings of the measures), each once, sorted.

    A work is ``Author[, Author] & Author YEAR`` or ``Author et al. YEAR``, with the journal,
    volume and page when the source gives them (the fullest mention wins).

    Examples
    --------
    >>> cited_works(["ANCHORS 4.1 / Bajd & Bowman 1982; peaks", "Bajd & Bowman 1982, J Biomed Eng 4:90",
    ...              "Levin & Feldman 1994 Brain Res 657:23; Calota, Feldman & Levin 2008 Clin Neurophysiol 119:2329"])
    ['Bajd & Bowman 1982, J Biomed Eng 4:90', 'Calota, Feldman & Levin 2008 Clin Neurophysiol 119:2329', 'Levin & Feldman 1994 Brain Res 657:23']
    """
    works: dict[tuple[str, str], str] = {}
    for source in sources:
        for match in _WORK.finditer(source or ""):
            key = (match["authors"].split(",")[0].split(" ")[0], match["year"])  # first author and year
            text = match.group(0).strip().rstrip(",")
            if len(text) > len(works.get(key, "")):
                works[key] = text
    return sorted(works.values(), key=str.lower)


# ------------------------------------------------------------------------------------------------
# Reading


def _reader_options(path: Path, given: Mapping[str, Any]) -> dict:
    """The options of ``given`` that the file's reader takes (a .mat file takes no angle channel)."""
    import inspect

    from myoreflex.io import reader_for

    taken = {p.name for p in inspect.signature(reader_for(path)).parameters.values() if p.kind is p.KEYWORD_ONLY}
    return {name: value for name, value in given.items() if value is not None and name in taken}


def _read(file: str | Path, given: Mapping[str, Any]) -> _Recording:
    """A recording by path or dataset name, read with its reader (RecordingError when it cannot be)."""
    from myoreflex import datasets
    from myoreflex.io import read_trials

    name = str(file)
    dataset = datasets.DATASETS.get(name) if not Path(name).exists() else None
    if dataset is not None:
        path = datasets.path(name)
        options = {**dataset.options, **{k: v for k, v in given.items() if v is not None}}
        label = f"{name} ({path.name})"
    else:
        path = Path(file)
        options = dict(given)
        label = path.name
    if not path.is_file():
        raise RecordingError(describe(f"`{path.name or name}`", "an existing recording file or a dataset name "
                                      "(myoreflex datasets list)", "no such file"))
    options = _reader_options(path, options)
    trials = read_trials(path, **options)
    if not trials:
        raise RecordingError(describe(f"`{path.name}`", "at least one recording", "none"))
    return _Recording(label, path, trials, options, dataset)


def _kind(recording: _Recording) -> str:
    """``pendulum``, ``manual`` (several stretch segments) or ``stretch`` (one stretch with a resistance)."""
    trials = recording.trials
    resisted = [t for t in trials if "torque" in t or "force" in t]
    if len(trials) > 1:
        if len(resisted) != len(trials) or any("angle" not in t for t in trials):
            raise RecordingError(describe(f"`{recording.path.name}`", "stretch segments, each with an angle and a "
                                          "torque or force", f"{len(trials)} segments, {len(resisted)} with either"))
        return "manual"
    trial = trials[0]
    if "angle" not in trial:
        raise RecordingError(describe(f"`{recording.path.name}`", "a pendulum test (an angle) or a stretch (an angle "
                                      "with a torque or force)", f"channels {', '.join(sorted(trial.channels))}",
                                      "name the angle channel (angle_channel=, --coordinate)"))
    return "stretch" if resisted else "pendulum"


def _title(kind: str, label: str) -> str:
    """A section's title: the test of :func:`_kind` and what it was measured on."""
    return {"pendulum": "Pendulum test", "manual": "Hand-held stretches", "stretch": "Motorized stretches"}[kind] + \
        f": {label}"


def _facts(recording: _Recording) -> list[tuple[str, str]]:
    """What the reader says of a recording (never the participant record)."""
    first = recording.trials[0]
    facts = [("file", recording.path.name)]
    if recording.dataset is not None:
        facts.append(("dataset", (f"{recording.dataset.name}: {recording.dataset.what}; licence "
                                  f"{recording.dataset.licence}; {recording.dataset.source}")))
    facts.append(("format", f"{first.format or '-'}, {shown(first.rate_hz)} Hz"))
    where = ", ".join(str(v) for v in (first.joint, first.side) if v)
    if where:
        facts.append(("joint", where))
    if len(recording.trials) > 1:
        speeds = {}
        for trial in recording.trials:
            speeds[str(trial.stretch_speed)] = speeds.get(str(trial.stretch_speed), 0) + 1
        facts.append(("segments", f"{len(recording.trials)}: " + ", ".join(f"{n} {s}" for s, n in speeds.items())))
    facts.append(("channels", ", ".join(f"{name} [{first.unit(name)}]" for name in first.channels)))
    return facts


# ------------------------------------------------------------------------------------------------
# Tests


def _pendulum_section(recording: _Recording, *, lenient: bool) -> Section:
    from myoreflex.measures import clinical
    from myoreflex.measures.pendulum import BAJD_BOWMAN_NORMAL_R1
    from myoreflex.protocols import PendulumTest
    from myoreflex.report.figures import pendulum_figure

    trial = recording.trials[0]
    section = Section(_title("pendulum", recording.label), "pendulum", _facts(recording))
    section.sources += [PendulumTest.reference, BAJD_BOWMAN_1982]
    try:
        metrics = PendulumTest.measure(trial, lenient=lenient)
    except QualityGateError as error:
        _refused(section, "The pendulum measures are", error)
        section.figures.append(("The recorded knee angle (not measured: a quality gate failed).",
                                _png(pendulum_figure([trial], [recording.path.name], records=[None]))))
        return section
    section.warnings += list(metrics.warnings)
    section.sources.append(metrics.method)
    lit, ctl = clinical.POPOVIC_HEALTHY, clinical.POPOVIC_CONTROLS

    def popovic(name: str, unit: str = "") -> tuple[str, str]:
        lit_value, lit_source = lit[name]
        ctl_value, ctl_source = ctl[name]
        healthy = f"{shown(lit_value)} {unit} (literature); {shown(ctl_value)} {unit} (13 controls)"
        return " ".join(healthy.split()), f"{lit_source}; controls: {ctl_source}"

    r2n_healthy, r2n_source = popovic("r2n")
    rows = [
        Row("R1, relaxation index (first-swing excursion / plateau amplitude)", shown(metrics.r1), "",
            f"about {shown(BAJD_BOWMAN_NORMAL_R1)} (healthy)", BAJD_BOWMAN_1982, "r1"),
        Row("R2n = R1 / 1.6", shown(metrics.r2n), "", f"about 1 by definition; {r2n_healthy}",
            f"{BAJD_BOWMAN_1982}; {r2n_source}", "r2n"),
        Row("first-swing excursion F1", shown(metrics.first_swing_excursion_deg), "deg", "", metrics.method,
            "first_swing_excursion_deg"),
        Row("plateau amplitude A0", shown(metrics.plateau_amplitude_deg), "deg", "", metrics.method,
            "plateau_amplitude_deg"),
        Row("resting angle (plateau)", shown(metrics.plateau_deg), "deg", "", metrics.method, "plateau_deg"),
        Row("swings (flexion peaks of >= 1 deg)", shown(metrics.n_oscillations), "", *popovic("n_oscillations"),
            "n_oscillations"),
        Row("peak angular velocity", shown(metrics.peak_velocity_deg_s), "deg/s", "", metrics.method,
            "peak_velocity_deg_s"),
        Row("time to peak velocity", shown(metrics.time_to_peak_velocity_s), "s", "", metrics.method,
            "time_to_peak_velocity_s"),
        Row("first period", shown(metrics.period_s), "s", "", metrics.method, "period_s"),
    ]
    section.tables.append(("Pendulum measures (Bajd & Bowman 1982 definitions, ANCHORS 4.1)", rows))
    section.sources += [r2n_source]
    try:
        parameters = clinical.pendulum_parameters(trial)
        estimate = clinical.ashworth_from_pendulum(trial)
    except NOT_MEASURABLE as error:  # strict: a failed gate leaves the Popovic-Maneski rows out
        _refused(section, "The Popovic-Maneski parameters are", error)
    else:
        labels = {"r2n": ("R2n", ""), "n_oscillations": ("swings N", ""),
                  "peak_velocity_over_amplitude_1_s": ("peak velocity / A0", "1/s"),
                  "frequency_hz": ("frequency (1 / first period)", "Hz"),
                  "return_ratio": ("return ratio A2/A0", ""), "area_ratio": ("area ratio |P+ - P-| / (P+ + P-)", "")}
        table = []
        for name, (label, unit) in labels.items():
            healthy, source = popovic(name, unit)
            table.append(Row(label, shown(parameters.get(name)), unit, healthy, source, f"popovic_{name}"))
            section.sources.append(source)
        for name, why in clinical.NOT_COMPUTED.items():
            table.append(Row(f"{name} (not computed)", "-", "", "", why))
        section.tables.append(("Popovic-Maneski 2018 parameters against the two healthy reference sets", table))
        inputs = estimate.inputs
        grade = estimate.grade if estimate.grade_low == estimate.grade_high else \
            f"{estimate.grade} ({estimate.grade_low} to {estimate.grade_high})"
        section.tables.append(("Ashworth-like ESTIMATE (a computed number, not a clinician's score)", [
            Row("PT score (literature references)", shown(inputs["pt_score"]), "", "0 for a healthy leg",
                inputs["source"], "pt_score"),
            Row("PT score (Pendulastic controls)", shown(inputs["pt_score_controls"]), "", "0 for a healthy leg",
                inputs["source"], "pt_score_controls"),
            Row("Ashworth-like grade, ESTIMATE", grade, "MAS", "0", f"{estimate.rule}; scale: {estimate.reference}",
                "ashworth_estimate"),
        ]))
        section.notes.append(f"Ashworth-like grade: {estimate.interval_note}. An estimate: "
                             f"{estimate.disclaimer}.")
        section.sources += [inputs["source"], estimate.reference]
    section.figures.append((
        ("Knee angle against time with the landmarks the measures used: release, start angle, first "
         "reversal, plateau, and the R1 construction (F1 over A0)."),
        _png(pendulum_figure([trial], [recording.path.name], title=f"Pendulum test: {recording.path.name}",
                             records=[metrics]))))
    return section


def _threshold_rows(section: Section, trials, *, muscle, lenient: bool):
    """The TSRT regression over ``trials`` into ``section`` (table, figure); None when not measured."""
    from myoreflex.measures import threshold
    from myoreflex.report.figures import tsrt_figure

    try:
        result = threshold.measure(trials, muscle=muscle, lenient=lenient)
    except NOT_MEASURABLE as error:  # a failed quality gate, or stretches the measure cannot read
        _refused(section, "The TSRT is", error)
        return None
    from myoreflex.measures.emg import ONSET_METHODS

    section.warnings += list(result.warnings)
    section.sources += [result.reference, ONSET_METHODS.lookup("hodges_bui").reference]
    healthy = ("healthy relaxed muscle: no EMG onset in the tested range, TSRT above the range "
               "(ANCHORS 6)")
    confidence = f"{100 * result.confidence:.0f} %"
    rows = [
        Row("TSRT (tonic stretch reflex threshold)", shown(result.tsrt_deg), "deg", healthy, result.reference, "tsrt_deg"),
        Row(f"TSRT {confidence} interval", _interval(*result.tsrt_ci_deg) if result.tsrt_ci_deg else "-", "deg", "",
            result.reference),
        Row("where the TSRT lies", f"{result.position or '-'} the tested range "
            f"{_interval(*result.range_deg) if result.range_deg else ''}".strip(), "deg", "above the range (healthy)",
            result.reference, "tsrt_position"),
        Row("mu (velocity sensitivity)", shown(result.mu_s), "s", "", result.reference, "mu_s"),
        Row(f"mu {confidence} interval", _interval(*result.mu_ci_s) if result.mu_ci_s else "-", "s", "",
            result.reference),
        Row("R^2 of the regression", shown(result.r_squared), "", "", result.method),
        Row("stretches with a DSRT / without", f"{result.n_stretches} / {result.n_excluded}", "", "", result.method),
    ]
    section.tables.append((f"Stretch reflex thresholds ({result.method}; {result.reference})", rows))
    section.notes.append(f"TSRT: {result.note}.")
    section.figures.append((("Angle at EMG onset (DSRT) of each stretch against its velocity, the regression "
                             f"and its {confidence} interval; the TSRT is the line at 0 deg/s (Levin & Feldman 1994)."),
                            _png(tsrt_figure(result))))
    return result


def _manual_section(recording: _Recording, *, lenient: bool, slow_speed: str, fast_speed: str,
                    muscle: str | None) -> Section:
    from myoreflex.measures import manual
    from myoreflex.report.figures import stretch_figure

    trials = recording.trials
    section = Section(_title("manual", recording.label), "manual stretches", _facts(recording))
    slow = [t for t in trials if t.stretch_speed == slow_speed]
    fast = [t for t in trials if t.stretch_speed == fast_speed]
    if slow and fast:
        rows, controls, unit = [], [], "N m"
        for trial in fast:
            try:
                result = manual.measure(slow, trial, lenient=lenient)
            except NOT_MEASURABLE as error:
                _refused(section, f"Segment {trial.segment}'s neural component is", error)
                continue
            section.warnings += list(result.warnings)
            section.sources.append(result.reference)
            unit = "N m" if result.neural_nm is not None else "N"
            neural = result.neural_nm if result.neural_nm is not None else result.neural_n
            viscous = result.viscous_nm if result.viscous_nm is not None else result.viscous_n
            elastic = result.elastic_nm if result.elastic_nm is not None else result.elastic_n
            rows.append(Row(f"segment {trial.segment} ({fast_speed}, peak {shown(result.peak_velocity_deg_s, 3)} deg/s): "
                            f"neural / viscous / elastic", f"{shown(neural, 3)} / {shown(viscous, 3)} / "
                            f"{shown(elastic, 3)}", unit, "no healthy range (note below); within-subject control: "
                            "the slow stretches",
                            result.reference, f"manual_neural_{trial.segment}"))
        for index, trial in enumerate(slow):
            others = slow[:index] + slow[index + 1:]
            if not others:
                break
            try:
                control = manual.measure(others, trial, check_slower=False, lenient=True)
            except NOT_MEASURABLE as error:  # a control that cannot be measured is said, not fatal
                section.notes.append(f"Slow-stretch control of segment {trial.segment} not measured: "
                                     f"{_one_line(error)}")
                continue
            value = control.neural_nm if control.neural_nm is not None else control.neural_n
            controls.append(Row(f"control: slow segment {trial.segment} against the other slow ones",
                                shown(value, 3), unit, "about 0 (reflex-free)", control.reference,
                                f"manual_control_{trial.segment}"))
        if rows or controls:
            section.tables.append((
                ("Neural component of each fast stretch above the slow stretches (Lindberg et al. 2011 logic, "
                 "hand-held; myoreflex.measures.manual)"), rows + controls))
            section.notes.append(
                "No healthy cut-off applies: Pennati et al. 2016's healthy NeuroFlexor values are for the wrist and "
                "do not transfer to the knee or ankle (myoreflex.measures.manual). The within-subject reference is "
                "the slow stretches measured against each other (check_slower=False), whose neural component is "
                "about 0.")
    else:
        found = sorted({str(t.stretch_speed) for t in trials})
        section.notes.append(f"No neural component: the segments' stretch_speed labels are {', '.join(found)}; "
                             f"expected {slow_speed!r} and {fast_speed!r} (slow_speed=, fast_speed=).")
    if any(t.emg_names() for t in trials):
        _threshold_rows(section, trials, muscle=muscle, lenient=lenient)
    shown_trials = (slow[:1] + fast[:1]) or trials[:2]
    section.figures.append((
        ("One slow and one fast stretch: torque, angle, EMG and torque against angle, each stretch's EMG onset "
         "and DSRT marked (Hodges & Bui 1996 onset; Levin & Feldman 1994 DSRT)."),
        _png(stretch_figure(shown_trials, [f"segment {t.segment} ({t.stretch_speed})" for t in shown_trials],
                            f"Hand-held stretches: {recording.path.name}"))))
    return section


def _stretch_section(recordings: Sequence[_Recording], *, lenient: bool, lever_arm_m: float | None,
                     muscle: str | None) -> Section:
    from myoreflex.measures import decomposition
    from myoreflex.report.figures import decomposition_figure, stretch_figure

    trials = [r.trials[0] for r in recordings]
    names = ", ".join(r.label for r in recordings)
    section = Section(_title("stretch", names), "motorized stretches", [fact for r in recordings for fact in _facts(r)])
    records = []
    if len(trials) < 2:
        section.notes.append("One stretch: the decomposition needs a slow and a fast stretch of the same joint.")
    else:
        try:
            speeds = [decomposition.stretch_phases(t).plateau_velocity for t in trials]
            order = sorted(range(len(trials)), key=lambda i: speeds[i])
            slow, fast = trials[order[0]], trials[order[-1]]
            result = decomposition.measure(slow, fast, lever_arm_m=lever_arm_m, lenient=lenient)
        except NOT_MEASURABLE as error:  # a failed quality gate, or stretches it cannot decompose
            _refused(section, "The decomposition is", error)
        else:
            records.append(result)
            section.warnings += list(result.warnings)
            section.sources += [result.reference, result.cutoff_source]
            at_hand = result.lever_arm_m is not None
            rows = []
            for name in ("inertial", "elastic", "viscous", "neural"):
                value = getattr(result, f"{name}_n" if at_hand else f"{name}_nm")
                if at_hand and name in decomposition.PENNATI_CUTOFFS_N:
                    mean, sd = decomposition.PENNATI_HEALTHY_N[name]
                    cut = decomposition.PENNATI_CUTOFFS_N[name]
                    flag = " (ABOVE the cut-off)" if result.flags.get(name) else ""
                    healthy = f"{shown(mean)} +- {shown(sd)} N; cut-off {shown(cut)} N{flag}"
                    source = result.cutoff_source
                else:
                    healthy, source = ("" if at_hand else "no cut-off without a lever arm"), result.reference
                rows.append(Row(f"{name} component", shown(value), "N" if at_hand else "N m", healthy, source,
                                f"decomposition_{name}"))
            section.tables.append(((f"NeuroFlexor decomposition, {shown(result.slow_velocity_deg_s, 3)} vs "
                                    f"{shown(result.fast_velocity_deg_s, 3)} deg/s ({result.method})"), rows))
            section.notes.append(f"Inertia: {result.inertial_method}. {'' if at_hand else result.flags_note}".strip())
            section.figures.append((("The components against the Pennati et al. 2016 healthy values and cut-offs "
                                     "(with a lever arm)."), _png(decomposition_figure(result))))
    if sum(1 for t in trials if t.emg_names()) >= 2:
        _threshold_rows(section, [t for t in trials if t.emg_names()], muscle=muscle, lenient=lenient)
    section.figures.append(("Torque, angle, EMG and torque against angle of each stretch.",
                            _png(stretch_figure(trials, [r.path.name for r in recordings], "Motorized stretches",
                                                records=records))))
    return section


# ------------------------------------------------------------------------------------------------
# Subject and fit


def _subject_rows(subject) -> list[tuple[str, str]]:
    """Only what the caller gave (a :class:`~myoreflex.subjects.Subject` or a mapping), checked."""
    if subject is None:
        return []
    from myoreflex.subjects import Subject

    if isinstance(subject, Mapping):
        unknown = sorted(set(subject) - {name for name, _, _ in SUBJECT_FIELDS})
        if unknown:
            raise ParameterError(describe("subject", f"keys among {', '.join(n for n, _, _ in SUBJECT_FIELDS)}",
                                          ", ".join(map(str, unknown))))
        subject = Subject(**subject)
    if not isinstance(subject, Subject):
        raise ParameterError(describe("subject", "a myoreflex.subjects.Subject or a mapping", type(subject).__name__))
    return [(label, f"{shown(getattr(subject, name))} {unit}".strip()) for name, label, unit in SUBJECT_FIELDS
            if getattr(subject, name) is not None]


def _fit_data(fit) -> tuple[dict, str]:
    """The fit's JSON contract (``myoreflex fit ... --json``) from a path, a mapping or a FitResult."""
    if fit is None:
        return {}, ""
    if hasattr(fit, "to_dict"):
        return fit.to_dict(), "a FitResult"
    if isinstance(fit, Mapping):
        data, where = dict(fit), "the fit given"
    else:
        path = Path(fit)
        where = f"`{path.name}`"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise RecordingError(describe(where, "the JSON of `myoreflex fit ... --json`",
                                          f"{type(error).__name__}: {error}")) from None
    if not (isinstance(data, dict) and isinstance(data.get("params"), dict) and isinstance(data.get("ci95"), dict)):
        raise RecordingError(describe(where, "the JSON of `myoreflex fit ... --json` (keys params and ci95)",
                                      "other content"))
    return data, where


def _fit_html(data: dict) -> str:
    if not data:
        return ""
    identified = data.get("identified") or {}
    widened = data.get("ci95_with_assumptions") or {}
    rows = []
    for name, value in data["params"].items():
        low, high = (list(data["ci95"].get(name) or []) + [None, None])[:2]
        ok = identified.get(name)
        mark = "-" if ok is None else ("yes" if ok else "NOT IDENTIFIED")
        wide = (list(widened.get(name) or []) + [None, None])[:2]
        extra = f"<td class='num'>{_e(_interval(*map(_number, wide)))}</td>" if widened else ""
        rows.append(f"<tr><td>{_e(name)}</td><td class='num' data-fit='{_e(name)}'>{_e(shown(_number(value)))}</td>"
                    f"<td class='num'>{_e(_interval(_number(low), _number(high)))}</td>{extra}<td>{_e(mark)}</td></tr>")
    assumed = "; ".join(f"{path}{'' if a.get('value') is None else ' = ' + shown(_number(a.get('value')))}, known to "
                        f"{shown(100 * (_number(a.get('prior_sd_log')) or 0.0))} %"
                        for path, a in (data.get("assumptions") or {}).items() if isinstance(a, dict))
    summary = [("RMSE", f"{shown(_number(data.get('rmse_deg')))} deg" if data.get("rmse_deg") is not None else None),
               ("torque RMSE", f"{shown(_number(data.get('rmse_nm')))} N m" if data.get("rmse_nm") is not None else None),
               ("quality", data.get("quality")), ("quality rule", data.get("quality_rule")),
               ("converged", shown(bool(data.get("converged")))),
               ("angle sign", data.get("angle_sign") and f"{data.get('angle_sign')} ({data.get('angle_sign_source', '')})"),
               ("fixed", ", ".join(f"{k} = {v}" for k, v in (data.get("fixed") or {}).items()) or None),
               ("assumed", assumed or None)]
    facts = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in summary if v not in (None, ""))
    warnings = [*data.get("warnings", ())]
    for reason in (data.get("convergence") or {}).get("reasons", ()) if not data.get("converged") else ():
        warnings.append(f"not converged: {reason}")
    notes = "".join(f"<li>{_e(w)}</li>" for w in warnings)
    return (
        "<section id='fit'><h2>Model fit</h2>"
        "<p>Parameters of the reflex model fitted to the recording, each with its 95 % interval (Laplace "
        "approximation for a MAP fit, posterior for NUTS; myoreflex.fit). A parameter the data do not identify "
        "is flagged: its interval is the prior's, not the recording's. Where the fit holds a value from a "
        "population regression (the shank's inertia from body size), the second interval adds that value's "
        "known error.</p>"
        f"<table class='facts'>{facts}</table>"
        "<table><thead><tr><th>parameter</th><th>value (SI)</th><th>95 % interval</th>"
        + ("<th>95 % with assumptions</th>" if widened else "") + "<th>identified</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
        + (f"<div class='warn'><strong>Fit warnings</strong><ul>{notes}</ul></div>" if notes else "")
        + "</section>")


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------------------------------------------
# The page

STYLE = """
body{font-family:Helvetica,Arial,sans-serif;margin:2em auto;max-width:60em;color:#111;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:2px solid #333;padding-bottom:.2em;margin-top:1.6em}
h3{font-size:1.05em;margin-top:1.2em}
.notice{border:3px solid #b00020;background:#fff0f0;padding:.7em 1em;font-weight:bold;color:#600}
.warn{border-left:4px solid #b00020;background:#fff6f6;padding:.4em .8em;margin:.8em 0}
.note{color:#444;font-size:.92em}
table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #bbb;padding:.25em .45em;text-align:left;vertical-align:top}
thead th{background:#eee} .facts th{width:9em;background:#f6f6f6}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums} td.unit{white-space:nowrap}
td.src{font-size:.85em;color:#333}
figure{margin:1em 0} figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.88em;color:#333}
footer{margin-top:2em;font-size:.85em;color:#333}
@page{size:A4;margin:1.5cm} @media print{body{margin:0;max-width:none} figure{break-inside:avoid}}
"""


def _table_html(title: str, rows: Sequence[Row]) -> str:
    body = "".join(
        f"<tr><td>{_e(r.name)}</td><td class='num'{f' data-measure={chr(39)}{_e(r.key)}{chr(39)}' if r.key else ''}>"
        f"{_e(r.value)}</td><td class='unit'>{_e(r.unit)}</td><td>{_e(r.healthy) or '-'}</td><td class='src'>{_e(r.source)}</td></tr>"
        for r in rows)
    return (f"<h3>{_e(title)}</h3><table><thead><tr><th>measure</th><th>value</th><th>unit</th>"
            f"<th>healthy reference</th><th>source</th></tr></thead><tbody>{body}</tbody></table>")


def _section_html(index: int, section: Section) -> str:
    parts = [f"<section id='recording-{index}'><h2>{_e(section.title)}</h2>",
             f"<p class='note'>Test recognised: {_e(section.test)}.</p>",
             "<table class='facts'>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in section.facts)
             + "</table>"]
    if section.warnings:
        parts.append("<div class='warn'><strong>Quality gates and warnings</strong><ul>"
                     + "".join(f"<li>{_e(w)}</li>" for w in section.warnings) + "</ul></div>")
    parts += [_table_html(title, rows) for title, rows in section.tables]
    parts += [f"<p class='note'>{_e(note)}</p>" for note in section.notes]
    for caption, png in section.figures:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<figure><img alt='{_e(caption)}' src='data:image/png;base64,{data}'>"
                     f"<figcaption>{_e(caption)}</figcaption></figure>")
    parts.append("</section>")
    return "".join(parts)


def _versions() -> list[tuple[str, str]]:
    from myoreflex import __version__

    found = [("myoreflex", __version__), ("Python", platform.python_version())]
    for module in ("numpy", "scipy", "jax", "matplotlib"):
        try:
            found.append((module, __import__(module).__version__))
        except ImportError:
            continue
    return found


def render_report(sections: Sequence[Section], *, title: str, subject_rows, fit: dict, settings: Mapping[str, Any],
                  created: str) -> str:
    """The report page (one HTML string, nothing external) of measured ``sections``."""
    sources = [s for section in sections for s in section.sources]
    works = cited_works(sources)
    subject = ("<table class='facts'>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in subject_rows)
               + "</table>") if subject_rows else "<p class='note'>No subject data given.</p>"
    contents = "".join(f"<li><a href='#recording-{i}'>{_e(s.title)}</a></li>" for i, s in enumerate(sections))
    settings_rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in settings.items())
    versions = ", ".join(f"{name} {version}" for name, version in _versions())
    references = "".join(f"<li>{_e(work)}</li>" for work in works)
    all_sources = "".join(f"<li>{_e(s)}</li>" for s in dict.fromkeys(s for s in sources if s))
    return "".join([
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
        f"<header><h1>{_e(title)}</h1><p class='note'>Made by myoreflex {_e(_versions()[0][1])} on {_e(created)}.</p>",
        f"<p class='notice' id='notice'>{_e(NOTICE)}</p></header>",
        (f"<nav><ul>{contents}{'<li><a href=#fit>Model fit</a></li>' if fit else ''}"
         "<li><a href='#references'>References</a></li><li><a href='#settings'>Version and settings</a></li></ul></nav>"),
        f"<section id='subject'><h2>Subject</h2>{subject}</section>",
        *(_section_html(i, s) for i, s in enumerate(sections)),
        _fit_html(fit),
        "<section id='references'><h2>References</h2>",
        ("<p class='note'>Every paper named in the sources of the numbers above. ANCHORS x.y: the section of the "
         "myoreflex anchors document (science/ANCHORS.md) that quotes the published number.</p>"),
        f"<ol>{references}</ol><h3>Sources as the measures cite them</h3><ul class='note'>{all_sources}</ul></section>",
        "<section id='settings'><h2>Version and settings</h2>",
        f"<table class='facts'><tr><th>software</th><td>{_e(versions)}</td></tr>",
        f"<tr><th>created</th><td>{_e(created)}</td></tr>{settings_rows}</table></section>",
        f"<footer><p class='notice'>{_e(NOTICE)}</p></footer></body></html>",
    ])


def build_report(
    files: Sequence[str | Path],
    *,
    out: str | Path,
    fit=None,
    subject=None,
    lenient: bool = False,
    angle_channel: str | None = None,
    angle_sign: float | None = None,
    slow_speed: str = "low",
    fast_speed: str = "high",
    muscle: str | None = None,
    lever_arm_m: float | None = None,
    title: str = "myoreflex report",
) -> Path:
    """Measure recordings and write one self-contained HTML (or PDF) report; return its path.

    Parameters
    ----------
    files : recordings (paths, or dataset names of :mod:`myoreflex.datasets`, read with the dataset's
        options); each is recognised as a pendulum test, a file of hand-held stretch segments, or
        one motorized stretch (module notes).
    out : the report: ``.html`` (or ``.htm``), or ``.pdf`` (needs the ``pdf`` extra, WeasyPrint).
    fit : a fit to show with its 95 % intervals and identified flags: the JSON file of ``myoreflex
        fit pendulum --json`` (or ``fit stretch``), its dict, or a :class:`~myoreflex.fit.FitResult`.
    subject : what to print of the subject: a :class:`~myoreflex.subjects.Subject` or a mapping of
        ``age_years``, ``sex``, ``body_mass_kg``, ``height_m``; only the given fields are shown.
    lenient : report measures whose quality gate failed, the gate named (else the measure is left
        out and its section says why).
    angle_channel, angle_sign : reader options for every file whose reader takes them (a dataset's
        own options otherwise).
    slow_speed, fast_speed : the ``stretch_speed`` labels of the slow and fast hand-held stretches.
    muscle : the stretched muscle for the TSRT (``emg_<muscle>``; default the first EMG channel).
    lever_arm_m : for motorized stretches, the joint to force distance (m): forces and the Pennati
        et al. 2016 flags.
    title : the page's title.

    Raises
    ------
    RecordingError
        A file is missing, cannot be read or holds none of the tests; a fit file is not a fit's JSON.
    OutputError
        ``out`` cannot be written (checked before any work): no folder, a directory, another
        extension, one of the inputs.
    ParameterError
        A bad option (subject values out of range, no files).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> page = build_report(["cp1-right-pendulum"], out=Path(tempfile.mkdtemp()) / "report.html",
    ...                     subject={"body_mass_kg": 30.0})
    >>> text = page.read_text()
    >>> "not a medical device" in text, "Bajd &amp; Bowman 1982" in text, "<link" in text
    (True, True, False)
    """
    from myoreflex.io.results import atomic_path, check_output

    files = list(files)
    if not files:
        raise ParameterError(describe("files", "at least one recording", "none"))
    inputs = [Path(f) for f in files if Path(f).exists()]
    out = check_output(out, inputs=inputs, suffixes=REPORT_SUFFIXES, what="--out")
    if lever_arm_m is not None and not (math.isfinite(lever_arm_m) and 0 < lever_arm_m <= 2.0):
        raise ParameterError(describe("lever_arm_m", "a distance in (0, 2] m", lever_arm_m))
    subject_rows = _subject_rows(subject)
    fit_data, fit_where = _fit_data(fit)
    given = {"angle_channel": angle_channel, "angle_sign": angle_sign}
    recordings = [_read(file, given) for file in files]
    kinds = [_kind(r) for r in recordings]
    sections = []
    stretches = [r for r, kind in zip(recordings, kinds) if kind == "stretch"]
    for recording, kind in zip(recordings, kinds):
        if kind == "pendulum":
            sections.append(_measured(_title(kind, recording.label), "pendulum", _facts(recording),
                                      lambda r=recording: _pendulum_section(r, lenient=lenient)))
        elif kind == "manual":
            sections.append(_measured(_title(kind, recording.label), "manual stretches", _facts(recording),
                                      lambda r=recording: _manual_section(r, lenient=lenient, slow_speed=slow_speed,
                                                                          fast_speed=fast_speed, muscle=muscle)))
    if stretches:
        sections.append(_measured(_title("stretch", ", ".join(r.label for r in stretches)), "motorized stretches",
                                  [fact for r in stretches for fact in _facts(r)],
                                  lambda: _stretch_section(stretches, lenient=lenient, lever_arm_m=lever_arm_m,
                                                           muscle=muscle)))
    settings: dict[str, Any] = {
        "recordings": "; ".join(f"{r.path.name}: {kind}, read with "
                                f"{', '.join(f'{k}={v}' for k, v in r.options.items()) or 'the reader defaults'}"
                                for r, kind in zip(recordings, kinds)),
        "quality gates": "lenient: failed gates named, numbers kept" if lenient else
                         "strict: a measure failing a gate is left out",
        "hand-held stretches": f"slow stretch_speed {slow_speed!r}, fast {fast_speed!r}",
        "TSRT muscle": muscle or "the first EMG channel",
        "EMG onset": "Hodges & Bui 1996 (threshold.dsrt default)",
        "lever arm (motorized stretches)": f"{lever_arm_m} m" if lever_arm_m is not None else "none given",
    }
    if fit_where:
        settings["fit"] = fit_where
    created = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = render_report(sections, title=title, subject_rows=subject_rows, fit=fit_data, settings=settings,
                         created=created)
    if out.suffix.lower() == ".pdf":
        try:
            weasyprint = require_extra("weasyprint", "pdf")
        except OSError as error:  # installed, but its system libraries (Pango) are missing
            raise NotSupported(describe("PDF output", "WeasyPrint and its system libraries (Pango)", str(error),
                                        "write .html instead, or install Pango")) from None
        with atomic_path(out) as temporary:
            weasyprint.HTML(string=page).write_pdf(str(temporary))
        return out
    with atomic_path(out) as temporary:
        temporary.write_text(page, encoding="utf-8")
    return out
