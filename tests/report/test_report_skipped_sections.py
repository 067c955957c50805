"""The report skips what it cannot measure, says so in one line, and keeps the rest.

Evidence: a recording that a measure refuses for a reason other than a quality gate (a "pendulum" that
never swings; "motorized stretches" whose angle falls, with no ``stretch_direction`` to say so) used to
abort the whole report with a RecordingError; now its section (or the one measure) is left out with
one line naming it and the reason, and the other recordings are reported as before. CP1's right-knee
IPSA stretches (knee extensions, stretch_direction -1; shipped with the package) are reported without
``angle_sign``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from myoreflex.report.html import build_report


def _headings(page: str) -> list[str]:
    return re.findall(r"<h2>([^<]*)</h2>", page)


def _warnings(page: str) -> list[str]:
    return re.findall(r"<li>([^<]*)</li>", page)


def _csv(path, header: str, *columns) -> str:
    path.write_text(header + "\n" + "\n".join(",".join(f"{v:.5f}" for v in row) for row in zip(*columns)) + "\n")
    return str(path)


def test_a_recording_that_cannot_be_measured_is_skipped_with_one_line(tmp_path):
    t = np.arange(0.0, 10.0, 0.01)
    flat = _csv(tmp_path / "flat.csv", "time_s,knee_angle_deg", t, 20.0 + 0.001 * np.sin(t))  # never released
    page = build_report(["cp1-right-pendulum", flat], out=tmp_path / "report.html").read_text(encoding="utf-8")
    headings = _headings(page)
    assert "Pendulum test: flat.csv (skipped)" in headings
    # The other recording is reported in full (R1 1.215, tests/test_report_html.py).
    assert float(re.search(r"data-measure='r1'>([^<]*)<", page).group(1)) == pytest.approx(1.21, abs=0.01)
    skipped = [w for w in _warnings(page) if "skipped" in w]
    assert len(skipped) == 1
    line = skipped[0]
    assert line.startswith("Pendulum test: flat.csv: section skipped")
    assert "`flat.csv`" in line and "no swing" in line and "\n" not in line
    # The skipped section shows what was read, and nothing measured.
    section = re.search(r"<section id='recording-1'>(.*?)</section>", page, re.DOTALL).group(1)
    assert "flat.csv" in section and "data-measure" not in section and "<img" not in section


def test_a_measure_that_refuses_the_stretches_is_left_out_and_the_section_kept(tmp_path):
    t = np.arange(0.0, 10.0, 0.01)
    files = []
    for velocity in (5.0, 100.0):  # deg/s, towards smaller angles, no stretch_direction in a CSV
        angle = 90.0 - np.clip((t - 1.0) * velocity, 0.0, 60.0)
        files.append(_csv(tmp_path / f"down_{velocity:g}.csv", "time_s,elbow_angle_deg,torque_Nm", t, angle,
                          0.02 * (90.0 - angle)))
    page = build_report(files, out=tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Motorized stretches: down_5.csv, down_100.csv" in _headings(page)
    refused = [w for w in _warnings(page) if "not reported" in w]
    assert len(refused) == 1
    assert refused[0].startswith("The decomposition is not reported: `down_5.csv`")
    assert "increases the angle" in refused[0]
    assert "data-measure='decomposition_neural'" not in page
    assert "<img" in page  # the stretches are still drawn


def test_knee_extension_stretches_are_reported_without_an_angle_sign(tmp_path):
    # CP1's right hamstrings stretched by knee extension (the angle falls; the reader sets
    # stretch_direction -1). The report failed on them ("a stretch that increases the angle") unless
    # read with angle_sign -1.
    page = build_report(["cp1-right-knee-stretches"], out=tmp_path / "report.html").read_text(encoding="utf-8")
    assert not any("skipped" in h for h in _headings(page))
    assert not any("increases the angle" in w for w in _warnings(page))
    assert re.search(r"data-measure='manual_neural_5'>[^<]+<", page)
    assert re.search(r"data-measure='tsrt_deg'>[^<-]+<", page)
