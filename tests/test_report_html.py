"""The HTML report (myoreflex.report.html): one self-contained file with the measures, their healthy
references and sources, figures, the fit, the References, version and settings, and the notice.

Evidence: the report of CP1's right-knee pendulum test and right-ankle IPSA stretches (both ship with
the package) holds R1 as ``assess pendulum`` measures it (1.215; the README's 1.21, tolerance 0.01:
the rounding of the README's number), nothing outside the file is referenced, every text from a file
is escaped, and a bad input leaves no file behind.
"""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

from myoreflex.errors import NotSupported, OutputError, ParameterError, RecordingError
from myoreflex.report.html import NOTICE, Row, Section, build_report, cited_works, render_report


def _section(page: str, name: str) -> str:
    match = re.search(rf"<section id='{name}'>(.*?)</section>", page, re.DOTALL)
    assert match, name
    return match.group(1)


def _measure(page: str, key: str) -> str:
    match = re.search(rf"data-measure='{key}'>([^<]*)<", page)
    assert match, key
    return match.group(1)


@pytest.fixture(scope="module")
def cp1_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    path = build_report(["cp1-right-pendulum", "cp1-right-ankle-stretches"], out=folder / "report.html",
                        subject={"body_mass_kg": 30.0, "height_m": 1.3})
    return folder, path, path.read_text(encoding="utf-8")


def test_cp1_report_is_one_self_contained_file(cp1_report):
    folder, _, page = cp1_report
    assert sorted(p.name for p in folder.iterdir()) == ["report.html"]  # no figure files, no temporary left
    lowered = page.lower()
    for external in ('src="http', "src='http", "<link", "<script", "@import", "url(", "href='http", 'href="http'):
        assert external not in lowered, external
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) >= 3  # pendulum, TSRT, stretches
    assert all(base64.b64decode(image)[:8] == b"\x89PNG\r\n\x1a\n" for image in images)


def test_cp1_report_holds_the_measures_the_notice_and_the_papers(cp1_report):
    _, _, page = cp1_report
    assert float(_measure(page, "r1")) == pytest.approx(1.21, abs=0.01)  # README: R1 1.215
    assert float(_measure(page, "r2n")) == pytest.approx(1.215 / 1.6, abs=0.01)
    assert _measure(page, "n_oscillations") == "4"
    assert "TSRT" in page and _measure(page, "tsrt_deg")
    assert len(_measure(page, "manual_neural_5").split(" / ")) == 3  # neural / viscous / elastic
    assert page.count(NOTICE) == 2  # opens and closes the page
    references = _section(page, "references")
    for work in ("Bajd &amp; Bowman 1982", "Levin &amp; Feldman 1994", "Lindberg et al. 2011",
                 "Hodges &amp; Bui 1996", "Bar-On et al. 2013"):
        assert work in references, work
    settings = _section(page, "settings")
    from myoreflex import __version__

    assert f"myoreflex {__version__}" in settings and "angle_sign=-1.0" in settings


def test_cp1_report_shows_only_the_subject_data_given(cp1_report):
    _, _, page = cp1_report
    subject = _section(page, "subject")
    assert "30 kg" in subject and "1.3 m" in subject
    assert "age" not in subject and "sex" not in subject
    assert "birth" not in page.lower()


def _pendulum_csv(path):
    t = np.arange(0.0, 10.0, 0.01)  # released 70 deg from rest, damped at 1 Hz (measures/pendulum.py example)
    q = 70.0 * (1.0 - np.exp(-0.6 * t) * np.cos(2.0 * np.pi * t))
    rows = ["time_s,knee_angle_deg"] + [f"{a:.3f},{b:.5f}" for a, b in zip(t, q)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_hostile_file_name_is_escaped(tmp_path):
    recording = _pendulum_csv(tmp_path / "x<script>alert(1)<img src=x onerror=alert(2)>.csv")
    page = build_report([recording], out=tmp_path / "report.html").read_text()
    assert "<script" not in page.lower() and "<img src=x" not in page
    assert "x&lt;script&gt;alert(1)" in page


def test_every_text_of_the_page_is_escaped():
    bad = "<script>alert('x')</script>"
    section = Section(bad, bad, facts=[(bad, bad)], tables=[(bad, [Row(bad, bad, bad, bad, bad, "k")])],
                      figures=[(bad, b"\x89PNG")], notes=[bad], warnings=[bad], sources=[bad + " Evil & Doer 2001"])
    fit = {"params": {bad: 1.0}, "ci95": {bad: [0.5, 2.0]}, "identified": {bad: False}, "warnings": [bad],
           "converged": False, "convergence": {"reasons": [bad]}, "quality": bad}
    page = render_report([section], title=bad, subject_rows=[(bad, bad)], fit=fit, settings={bad: bad}, created=bad)
    assert "<script" not in page.lower()
    assert "NOT IDENTIFIED" in page and "Evil &amp; Doer 2001" in page


def test_a_fit_is_shown_with_its_intervals_and_flags(tmp_path):
    import json

    fit = tmp_path / "fit.json"
    fit.write_text(json.dumps({
        "params": {"motoneuron.gain": 0.03127, "limb.damping": 0.8793},
        "ci95": {"motoneuron.gain": [0.01185, 0.07055], "limb.damping": [0.7335, 1.047]},
        "rmse_deg": 2.3, "converged": True, "quality": "good", "warnings": ["motoneuron.gain: weakly identified"],
        "identified": {"motoneuron.gain": False, "limb.damping": True}}))
    page = build_report(["cp1-right-pendulum"], out=tmp_path / "report.html", fit=fit).read_text()
    section = _section(page, "fit")
    assert "0.01185 to 0.07055" in section and "NOT IDENTIFIED" in section and "weakly identified" in section
    assert re.search(r"data-fit='limb.damping'>0.8793<", section)
    assert "with assumptions" not in section  # this fit assumed nothing: no such column


def test_a_fit_that_holds_the_inertia_shows_the_interval_with_its_error(tmp_path):
    import json

    from myoreflex.report.html import _fit_html

    fit = {"params": {"motoneuron.gain": 0.02}, "ci95": {"motoneuron.gain": [0.009, 0.042]}, "converged": True,
           "ci95_with_assumptions": {"motoneuron.gain": [0.0069, 0.051]},
           "assumptions": {"limb.inertia": {"value": 0.35, "prior_sd_log": 0.2, "source": "Yeadon & Morlock 1989",
                                            "sensitivity": {"motoneuron.gain": 1.4}}}}
    section = _fit_html(json.loads(json.dumps(fit)))
    assert "95 % with assumptions" in section and "0.0069 to 0.051" in section
    assert "limb.inertia = 0.35, known to 20 %" in section


@pytest.mark.parametrize("content, name", [
    ("this is not a table\n\x00\x01", "garbage.csv"),
    (None, "missing.csv"),
    ("time_s,torque_Nm\n0,1\n0.01,2\n0.02,3\n", "no_angle.csv"),
    ("whatever", "notes.xyz"),
])
def test_a_bad_recording_gives_one_clear_error_and_no_file(tmp_path, content, name):
    recording = tmp_path / name
    if content is not None:
        recording.write_text(content)
    out = tmp_path / "report.html"
    with pytest.raises(RecordingError) as raised:
        build_report(["cp1-right-pendulum", recording], out=out)
    assert name in str(raised.value) and "\n" not in str(raised.value)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name] if content is not None else [])


def test_a_bad_fit_file_gives_a_recording_error_and_no_file(tmp_path):
    fit = tmp_path / "fit.json"
    fit.write_text('{"rmse_deg": 2.0}')
    out = tmp_path / "report.html"
    with pytest.raises(RecordingError, match="fit.json"):
        build_report(["cp1-right-pendulum"], out=out, fit=fit)
    assert not out.exists()


def test_bad_options_are_refused_before_any_work(tmp_path):
    with pytest.raises(OutputError):
        build_report(["cp1-right-pendulum"], out=tmp_path / "report.txt")
    with pytest.raises(OutputError):
        build_report(["cp1-right-pendulum"], out=tmp_path / "no_folder" / "report.html")
    with pytest.raises(ParameterError, match="height_m"):
        build_report(["cp1-right-pendulum"], out=tmp_path / "report.html", subject={"height_m": 175})
    with pytest.raises(ParameterError, match="birth_date"):
        build_report(["cp1-right-pendulum"], out=tmp_path / "report.html", subject={"birth_date": "2015-01-01"})
    with pytest.raises(ParameterError):
        build_report([], out=tmp_path / "report.html")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_quality_gate_leaves_the_measure_out_and_says_why(tmp_path):
    t = np.arange(0.0, 3.0, 0.01)  # cut at 3 s, still swinging: plateau_settled fails
    q = 70.0 * (1.0 - np.exp(-0.6 * t) * np.cos(2.0 * np.pi * t))
    recording = tmp_path / "cut.csv"
    recording.write_text("time_s,knee_angle_deg\n" + "\n".join(f"{a:.3f},{b:.5f}" for a, b in zip(t, q)) + "\n")
    strict = build_report([recording], out=tmp_path / "strict.html").read_text()
    assert "plateau_settled" in strict and "data-measure='r1'" not in strict
    lenient = build_report([recording], out=tmp_path / "lenient.html", lenient=True).read_text()
    assert "plateau_settled" in lenient and "data-measure='r1'" in lenient


def test_cited_works_collects_each_paper_once():
    works = cited_works(["Popovic-Maneski 2018 (x)", "Popovic-Maneski et al. 2018 (pendulum-test PT score)",
                         "Hodges & Bui 1996, Electroencephalogr Clin Neurophysiol 101:511-519", "no paper here"])
    assert works == ["Hodges & Bui 1996, Electroencephalogr Clin Neurophysiol 101:511-519",
                     "Popovic-Maneski et al. 2018"]


def test_a_pdf_needs_the_pdf_extra(tmp_path):
    pytest.importorskip("matplotlib")
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        with pytest.raises(NotSupported, match=r"myoreflex\[pdf\]"):
            build_report(["cp1-right-pendulum"], out=tmp_path / "report.pdf")
        assert not (tmp_path / "report.pdf").exists()
        return
    path = build_report(["cp1-right-pendulum"], out=tmp_path / "report.pdf")
    assert path.read_bytes()[:5] == b"%PDF-"


def test_motorized_stretches_are_decomposed_against_the_pennati_cut_offs(tmp_path):
    page = build_report(["elbow-healthy-10", "elbow-healthy-90"], out=tmp_path / "report.html",
                        lever_arm_m=0.095).read_text()
    assert "Motorized stretches" in page and "cut-off 3.5 N" in page
    assert abs(float(_measure(page, "decomposition_neural"))) < 3.5  # a healthy elbow: below the NC cut-off
    assert "Pennati et al. 2016" in _section(page, "references")
