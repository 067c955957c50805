"""The app's pages: HTML strings built on the server, every text from a file or a request escaped.

One layout (:func:`layout`: the four sections Assess, Simulate, Teach, Learn, and the notice that
this is a research and teaching tool); the controls of Simulate and Teach are generated from the
metadata the library declares (:func:`simulation_controls`: the conditions, the severity range, the
subject's bounds, each treatment's dose unit and bounds). The pages load one style sheet and one
script from ``/static`` and nothing from anywhere else; they work offline.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from myoreflex.measures import shown

NOTICE = ("Research and teaching tool, not a medical device: not for diagnosis or treatment decisions.")
SECTIONS = (("/assess", "Assess"), ("/simulate", "Simulate"), ("/teach", "Teach"), ("/learn", "Learn"))


def e(value: Any) -> str:
    """Any value as escaped HTML text (quotes too: safe inside attributes)."""
    return html.escape(str(value), quote=True)


def layout(title: str, body: str, *, active: str = "", script: bool = False) -> str:
    """A whole page: head (one style sheet, maybe the one script), navigation, body, notice."""
    nav = "".join(f"<a href='{href}'{' class=active' if href == active else ''}>{e(label)}</a>"
                  for href, label in SECTIONS)
    js = "<script src='/static/app.js' defer></script>" if script else ""
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{e(title)} - myoreflex</title><link rel='stylesheet' href='/static/app.css'>{js}</head>"
            f"<body><header><a class='brand' href='/'>myoreflex</a><nav>{nav}</nav></header>"
            f"<main><h1>{e(title)}</h1>{body}</main>"
            f"<footer><p class='notice'>{e(NOTICE)}</p></footer></body></html>")


def error_page(status: int, message: str, *, back: str = "/") -> str:
    """The page of a refused request: the code, the one-line message, a way back."""
    reasons = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 413: "File too large",
               415: "Unsupported file", 422: "Could not measure this recording", 500: "Server error"}
    body = (f"<div class='error' role='alert' id='error'><p><strong>{e(reasons.get(status, 'Error'))}"
            f" ({status})</strong></p><p id='error-message'>{e(message)}</p></div>"
            f"<p><a href='{e(back)}'>Back</a></p>")
    return layout(reasons.get(status, "Error"), body)


def home() -> str:
    body = ("<p>A local app of myoreflex: the reflex loop model and the measures of real recordings, "
            "run on this computer. Nothing is sent anywhere.</p><ul class='cards'>"
            "<li><a href='/assess'><strong>Assess</strong></a>: drop a recording (CSV, OpenSim .mot/.sto, "
            "C3D, IPSA .mat, Motion-BIDS), see its measures, the annotated figure and the healthy ranges; "
            "download the data and a report.</li>"
            "<li><a href='/simulate'><strong>Simulate</strong></a>: a pendulum test or motorized stretches "
            "for a condition, severity, body size and treatment; the figure redraws as you move the controls.</li>"
            "<li><a href='/teach'><strong>Teach</strong></a>: the reflex loop as a diagram and the signals "
            "along it (spindle Ia and II, tendon organ Ib, motor-neuron drive, force, angle), step by step.</li>"
            "<li><a href='/learn'><strong>Learn</strong></a>: the sourced knowledge pages on cramps, spasms "
            "and spasticity.</li></ul>"
            "<p class='note'>Scripts can use the same numbers: <code>POST /api/assess</code> and "
            "<code>POST /api/simulate</code> (docs/app.md).</p>")
    return layout("myoreflex", body)


# ------------------------------------------------------------------------------------------------
# Assess


def _select(name: str, options: Iterable[tuple[str, str]], selected: str = "", *, label: str = "",
            attrs: str = "") -> str:
    items = "".join(f"<option value='{e(v)}'{' selected' if str(v) == str(selected) else ''}>{e(t)}</option>"
                    for v, t in options)
    return f"<label>{e(label or name)} <select name='{e(name)}' id='{e(name)}'{attrs}>{items}</select></label>"


SIGNS = [("", "detect from the swing"), ("1", "flexion positive"), ("-1", "flexion negative (OpenSim)")]


def _sign_value(sign) -> str:
    return "" if sign is None else f"{float(sign):g}"


def assess_form(max_mib: int, tests: Sequence[str], suffixes: Sequence[str]) -> str:
    accept = ",".join(sorted({"." + suffix.rsplit(".", 1)[-1] for suffix in suffixes}))
    body = (f"<form id='assess-form' class='panel' method='post' action='/assess' enctype='multipart/form-data'>"
            f"<label class='drop'>Recording <input type='file' name='file' id='file' required accept='{e(accept)}'>"
            f"<span class='note'>CSV, .mot/.sto, C3D, IPSA .mat, Motion-BIDS _motion.tsv; at most {max_mib} MiB. "
            "The file is read by the readers, kept in this server's memory for this session and never "
            "written anywhere but a private temporary folder that is removed at once.</span></label>"
            "<label>Angle channel <input name='coordinate' id='coordinate' placeholder='e.g. knee_angle_r "
            "(optional: you can pick it after upload)'></label>"
            + _select("test", [(t, t) for t in tests], "pendulum", label="Test")
            + _select("angle_sign", SIGNS, "", label="Angle sign")
            + "<label><input type='checkbox' name='lenient' value='true'> measure even if a quality gate fails "
            "(the gate is named)</label><button type='submit' id='assess-submit'>Assess</button></form>"
            "<p class='note'>Or try a shared recording: <a href='/assess/dataset/cp1-right-pendulum'>"
            "cp1-right-pendulum</a> (a child's spastic knee, KU Leuven, MIT).</p>")
    return layout("Assess a recording", body, active="/assess")


def measure_table(rows) -> str:
    head = "<tr><th>measure</th><th>value</th><th>unit</th><th>healthy reference</th><th>source</th></tr>"
    cells = "".join(f"<tr data-measure='{e(r.key)}'><td>{e(r.label)}</td><td class='value' id='m-{e(r.key)}'>"
                    f"{e(shown(r.value))}</td><td>{e(r.unit)}</td><td>{e(r.healthy)}</td>"
                    f"<td class='source'>{e(r.source)}</td></tr>" for r in rows)
    return f"<table class='measures' id='measures'>{head}{cells}</table>"


def assess_result(*, token: str, found, rows, channels: Sequence[str], query: str, tests: Sequence[str]) -> str:
    """The measures of an uploaded recording: table with healthy ranges, figure, channel picker, downloads."""
    warnings = "".join(f"<li>{e(w)}</li>" for w in found.data.get("warnings", []))
    warn = f"<div class='warning' id='warnings'><p>Failed quality gates, measured anyway:</p><ul>{warnings}</ul></div>" \
        if warnings else ""
    coordinate = found.options.get("angle_channel") or ""
    picker = ""
    if channels:
        picker = _select("coordinate", [("", "(the reader's default)")] + [(c, c) for c in channels], coordinate,
                         label="Angle channel")
    else:
        picker = f"<label>Angle channel <input name='coordinate' id='coordinate' value='{e(coordinate)}'></label>"
    sign = _sign_value(found.options.get("angle_sign"))
    controls = (f"<form class='panel inline' method='get' action='/assess/{e(token)}' id='channel-form'>{picker}"
                + _select("angle_sign", SIGNS, sign, label="Angle sign")
                + _select("test", [(t, t) for t in tests], found.test, label="Test")
                + "<button type='submit'>Measure again</button></form>")
    downloads = "".join(
        f"<a class='button' download href='/assess/{e(token)}/download.{kind}?{e(query)}' id='download-{kind}'>"
        f"{label}</a>" for kind, label in (("json", "JSON"), ("csv", "CSV"), ("mot", ".mot"), ("html", "report")))
    body = (f"<p>File <strong id='file-name'>{e(found.name)}</strong>, test <strong>{e(found.test)}</strong>, "
            f"{len(found.trials)} recording(s).</p>{controls}{warn}"
            f"{measure_table(rows)}"
            f"<figure><img id='figure' alt='annotated figure of {e(found.name)}' "
            f"src='/assess/{e(token)}/figure.png?{e(query)}'><figcaption>The recording with the landmarks the "
            "measures used (release, start angle, first reversal, plateau; R1 = F1 / A0).</figcaption></figure>"
            f"<p class='downloads'>Download: {downloads}</p>"
            "<p><a href='/assess'>Assess another recording</a></p>")
    return layout("Assessment", body, active="/assess")


# ------------------------------------------------------------------------------------------------
# Simulate and Teach


def simulation_controls(*, teach: bool = False) -> list[dict]:
    """The controls of a simulation, generated from the library's declarations: the conditions
    (:data:`myoreflex.conditions.CONDITIONS`), severity in [0, 1], the joints, the subject's bounds
    (:mod:`myoreflex.units`), each treatment's dose unit, default and bounds
    (:data:`myoreflex.treatments.TREATMENTS`). A stretch runs at 5, 100 and 236 deg/s (each new
    velocity is a new length of run, compiled once; the API takes any ``velocity_deg_s``)."""
    from myoreflex.conditions import CONDITIONS, describe_condition
    from myoreflex.model import JOINTS
    from myoreflex.treatments import TREATMENTS
    from myoreflex.units import AGE_BOUNDS_YEARS, BODY_MASS_BOUNDS_KG, HEIGHT_BOUNDS_M, SEXES

    treatments = [("", "none")] + [(name, f"{name.replace('_', ' ')} ({t.dose_unit})") for name, t in TREATMENTS.items()]
    doses = {name: {"unit": t.dose_unit, "min": t.dose_bounds[0], "max": t.dose_bounds[1], "default": t.default_dose,
                    "source": t.dose_source} for name, t in TREATMENTS.items()}
    controls = [
        {"name": "test", "label": "test", "kind": "select", "options": [("pendulum", "pendulum (knee)"),
                                                                         ("stretch", "motorized stretch")]},
        {"name": "condition", "label": "condition", "kind": "select",
         "options": [(c, c.replace("_", " ")) for c in CONDITIONS],
         "doc": {c: describe_condition(c).splitlines()[0] for c in CONDITIONS}},
        {"name": "severity", "label": "severity", "kind": "range", "min": 0.0, "max": 1.0, "step": 0.05,
         "value": 0.0, "unit": ""},
        {"name": "joint", "label": "joint (stretch)", "kind": "select", "options": [(j, j) for j in JOINTS],
         "value": "elbow"},
        {"name": "treatment_name", "label": "treatment", "kind": "select", "options": treatments, "doses": doses},
        {"name": "dose", "label": "dose", "kind": "range", "min": 0.0, "max": 1.0, "step": 1.0, "value": 0.0,
         "unit": ""},
    ]
    if not teach:
        controls += [
            {"name": "age_years", "label": "age", "kind": "number", "min": AGE_BOUNDS_YEARS[0],
             "max": AGE_BOUNDS_YEARS[1], "step": 1, "unit": "years"},
            {"name": "sex", "label": "sex", "kind": "select", "options": [("", "-")] + [(s, s) for s in SEXES]},
            {"name": "body_mass_kg", "label": "body mass", "kind": "number", "min": BODY_MASS_BOUNDS_KG[0],
             "max": BODY_MASS_BOUNDS_KG[1], "step": 0.5, "unit": "kg"},
            {"name": "height_m", "label": "height", "kind": "number", "min": HEIGHT_BOUNDS_M[0],
             "max": HEIGHT_BOUNDS_M[1], "step": 0.01, "unit": "m"},
        ]
    return controls


def _control_html(control: dict) -> str:
    import json

    name, label = control["name"], control["label"]
    if control["kind"] == "select":
        extra = ""
        if "doses" in control:
            extra = f" data-doses='{e(json.dumps(control['doses']))}'"
        if "doc" in control:
            extra += f" data-doc='{e(json.dumps(control['doc']))}'"
        return _select(name, control["options"], control.get("value", ""), label=label, attrs=extra)
    unit = f" <span class='unit' id='{e(name)}-unit'>{e(control.get('unit', ''))}</span>"
    if control["kind"] == "range":
        return (f"<label>{e(label)} <input type='range' name='{e(name)}' id='{e(name)}' min='{control['min']:g}' "
                f"max='{control['max']:g}' step='{control['step']:g}' value='{control['value']:g}'>"
                f"<output id='{e(name)}-value'>{control['value']:g}</output>{unit}</label>")
    return (f"<label>{e(label)} <input type='number' name='{e(name)}' id='{e(name)}' min='{control['min']:g}' "
            f"max='{control['max']:g}' step='{control['step']:g}' placeholder='{control['min']:g}-"
            f"{control['max']:g}'>{unit}</label>")


def simulate_page() -> str:
    controls = "".join(_control_html(c) for c in simulation_controls())
    body = (f"<form id='sim-form' class='panel controls' data-mode='simulate'>{controls}</form>"
            "<p class='note' id='condition-doc'></p>"
            "<p class='status' id='status' aria-live='polite'>ready</p>"
            "<div class='result'><figure><img id='sim-figure' alt='simulated test' "
            "src='/simulate/figure.png?test=pendulum'></figure>"
            "<table class='measures' id='sim-measures'></table></div>"
            "<p class='note'>Empty subject fields: the reference adult (75 kg, 1.75 m), or the growth-chart "
            "medians for the age and sex given. Sizes of the treatments' effects are partly assumptions "
            "(myoreflex.treatments names each).</p>")
    return layout("Simulate a clinical test", body, active="/simulate", script=True)


LOOP_SVG = """<svg id='loop-diagram' viewBox='0 0 640 300' role='img' aria-label='the stretch-reflex loop'>
<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='10' markerHeight='10' markerUnits='userSpaceOnUse' orient='auto'>
<path d='M0,0 L10,5 L0,10 z'/></marker></defs>
<rect class='node' id='node-cord' x='250' y='20' width='140' height='70' rx='10'/>
<text x='320' y='45'>spinal cord</text><text x='320' y='65' class='small'>Ia, II, Ib synapses</text>
<text x='320' y='80' class='small'>alpha motor neurons</text>
<rect class='node' id='node-muscle' x='250' y='200' width='140' height='60' rx='30'/>
<text x='320' y='226'>muscle</text><text x='320' y='244' class='small'>spindle inside, tendon organ at its end</text>
<rect class='node' id='node-limb' x='480' y='200' width='130' height='60' rx='6'/>
<text x='545' y='226'>limb</text><text x='545' y='244' class='small'>angle, velocity</text>
<path class='wire' id='wire-ia' d='M260,200 C180,170 180,110 250,70' marker-end='url(#arrow)'/>
<path class='wire' id='wire-ii' d='M275,200 C215,170 215,120 255,85' marker-end='url(#arrow)'/>
<path class='wire' id='wire-ib' d='M380,200 C460,160 450,110 390,80' marker-end='url(#arrow)'/>
<path class='wire' id='wire-emg' d='M320,90 L320,198' marker-end='url(#arrow)'/>
<path class='wire' id='wire-force' d='M390,230 L478,230' marker-end='url(#arrow)'/>
<path class='wire' id='wire-angle' d='M545,260 C545,295 320,295 320,262' marker-end='url(#arrow)'/>
<text x='150' y='140' class='label' id='label-ia'>Ia</text>
<text x='205' y='150' class='label' id='label-ii'>II</text>
<text x='470' y='140' class='label' id='label-ib'>Ib</text>
<text x='345' y='150' class='label' id='label-emg'>MN drive</text>
<text x='434' y='220' class='label' id='label-force'>force</text>
<text x='600' y='290' class='label' id='label-angle'>stretch</text>
</svg>"""


def teach_page() -> str:
    controls = "".join(_control_html(c) for c in simulation_controls(teach=True))
    body = ("<p>The stretch reflex as a loop: stretching the muscle excites its spindles (Ia: length and velocity; "
            "II: length), which excite the alpha motor neurons in the spinal cord; their drive contracts the "
            "muscle, whose force the tendon organs (Ib) report back; the force moves the limb, which changes the "
            "stretch. Choose a simulation and step through it: the diagram's wires glow with each signal.</p>"
            f"<form id='teach-form' class='panel controls' data-mode='teach'>{controls}"
            "<label>muscle <select name='muscle' id='muscle'></select></label></form>"
            "<p class='status' id='status' aria-live='polite'>ready</p>"
            f"<div class='teach'><div>{LOOP_SVG}</div><div><label>time <input type='range' id='step' min='0' "
            "max='399' value='0'><output id='step-time'>0 s</output></label>"
            "<button type='button' id='play'>Play</button><button type='button' id='prev'>&lt;</button>"
            "<button type='button' id='next'>&gt;</button>"
            "<table class='signals' id='signals'></table></div></div>"
            "<div id='traces'></div>")
    return layout("Teach: the reflex loop", body, active="/teach", script=True)


# ------------------------------------------------------------------------------------------------
# Learn


def learn_page(entries, *, term: str = "", found=None) -> str:
    """The knowledge pages: a search box (:func:`myoreflex.knowledge.explain`) and every entry by kind."""
    from myoreflex.knowledge import KINDS

    search = (f"<form class='panel inline' method='get' action='/learn'><label>Look up a term <input name='q' "
              f"id='q' value='{e(term)}' placeholder='cramp, spindle, baclofen...'></label>"
              "<button type='submit'>Explain</button></form>")
    if found is not None:
        if found["entries"]:
            items = "".join(f"<li><a href='/learn/{e(x['id'])}'>{e(x['title'])}</a> <span class='kind'>"
                            f"{e(x['kind'])}</span><p>{e(x['text'])}</p></li>" for x in found["entries"])
            results = f"<h2>About &ldquo;{e(term)}&rdquo;</h2><ul class='entries' id='results'>{items}</ul>"
        else:
            results = (f"<p id='results'>No entry about &ldquo;{e(term)}&rdquo;. Try a broader word, such as "
                       "cramp, spasm or spasticity.</p>")
        return layout("Learn", search + results, active="/learn")
    groups = []
    for kind in KINDS:
        items = "".join(f"<li><a href='/learn/{e(x.id)}'>{e(x.title)}</a></li>" for x in entries if x.kind == kind)
        if items:
            groups.append(f"<h2>{e(kind.replace('_', ' '))}</h2><ul class='entries'>{items}</ul>")
    return layout("Learn", search + "".join(groups), active="/learn")


def entry_page(entry) -> str:
    links = ", ".join(e(link) for link in entry.links)
    body = (f"<p class='kind'>{e(entry.kind.replace('_', ' '))}</p><p id='entry-text'>{e(entry.text)}</p>"
            f"<p><strong>Evidence:</strong> {e(entry.evidence)}</p><p><strong>Source:</strong> {e(entry.source)}</p>"
            + (f"<p><strong>See also in the model:</strong> {links}</p>" if links else "")
            + "<p><a href='/learn'>All entries</a></p>")
    return layout(entry.title, body, active="/learn")


def assess_failed(*, token: str, name: str, message: str, channels: Sequence[str], options: dict,
                  tests: Sequence[str]) -> str:
    """A recording that could not be measured: the message, and the channel picker to try again."""
    coordinate = options.get("coordinate") or ""
    if channels:
        picker = _select("coordinate", [("", "(the reader's default)")] + [(c, c) for c in channels], coordinate,
                         label="Angle channel")
    else:
        picker = f"<label>Angle channel <input name='coordinate' id='coordinate' value='{e(coordinate)}'></label>"
    sign = _sign_value(options.get("angle_sign"))
    body = (f"<div class='error' role='alert' id='error'><p><strong>Could not measure {e(name)}</strong></p>"
            f"<p id='error-message'>{e(message)}</p></div>"
            f"<form class='panel inline' method='get' action='/assess/{e(token)}' id='channel-form'>{picker}"
            + _select("angle_sign", SIGNS, sign, label="Angle sign")
            + _select("test", [(t, t) for t in tests], options.get("test", "pendulum"), label="Test")
            + "<label><input type='checkbox' name='lenient' value='true'> measure even if a quality gate fails"
            "</label><button type='submit'>Measure again</button></form><p><a href='/assess'>Assess another "
            "recording</a></p>")
    return layout("Assessment", body, active="/assess")
