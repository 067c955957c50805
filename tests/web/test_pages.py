"""The pages, read as a browser would without running scripts: the measures and healthy references of
an uploaded recording, downloads, controls generated from the library's declarations, a figure that
changes with the severity, the loop's signals, the knowledge pages; nothing fetched from outside."""

import json
import re
from html.parser import HTMLParser

import pytest

from myoreflex.conditions import CONDITIONS
from myoreflex.treatments import TREATMENTS
from myoreflex.units import BODY_MASS_BOUNDS_KG


class Page(HTMLParser):
    """Every element's attributes, and the text of elements with an id."""

    def __init__(self, text: str):
        super().__init__()
        self.elements, self.text, self._open = [], {}, []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag not in ("input", "img", "br", "meta", "link"):
            self._open.append(attrs.get("id"))

    def handle_endtag(self, tag):
        if self._open and tag not in ("input", "img", "br", "meta", "link"):
            self._open.pop()

    def handle_data(self, data):
        for element_id in self._open:
            if element_id:
                self.text[element_id] = self.text.get(element_id, "") + data

    def find(self, tag, **attrs):
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def _upload(client, pendulum_bytes, **fields):
    name, data = pendulum_bytes
    answer = client.post("/assess", files={"file": (name, data)}, data=fields, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def test_upload_shows_r1_with_its_healthy_reference_and_the_figure(client, pendulum_bytes, r1_shared):
    location = _upload(client, pendulum_bytes, coordinate="knee_angle_r")
    page = client.get(location)
    assert page.status_code == 200
    parsed = Page(page.text)
    assert parsed.text["m-r1"] == f"{r1_shared:.4g}" == "1.215"
    assert "about 1.6 (healthy)" in page.text and "Bajd &amp; Bowman 1982" in page.text
    assert "13 controls" in page.text  # the Pendulastic controls beside the literature values
    image = parsed.find("img", id="figure")[0]["src"]
    png = client.get(image)
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_the_channel_the_page_offers_the_files_channels(client, pendulum_bytes):
    location = _upload(client, pendulum_bytes)
    page = client.get(location)
    assert page.status_code == 422
    parsed = Page(page.text)
    assert "knee_angle_r" in parsed.text["error-message"]
    offered = [a["value"] for a in parsed.find("option") if a.get("value")]
    assert {"knee_angle_r", "knee_angle_l", "hip_flexion_r"} <= set(offered) and "time" not in offered
    again = client.get(location.split("?")[0] + "?coordinate=knee_angle_r")
    assert again.status_code == 200 and Page(again.text).text["m-r1"] == "1.215"


def test_downloads(client, pendulum_bytes, r1_shared, workdir):
    import os

    location = _upload(client, pendulum_bytes, coordinate="knee_angle_r")
    base, query = location.split("?")
    measures = client.get(f"{base}/download.json?{query}")
    assert measures.status_code == 200 and "attachment" in measures.headers["content-disposition"]
    assert json.loads(measures.content)["metrics"]["r1"] == r1_shared
    table = client.get(f"{base}/download.csv?{query}")
    assert table.status_code == 200 and "time" in table.text.splitlines()[1]
    mot = client.get(f"{base}/download.mot?{query}")
    assert mot.status_code == 200 and "endheader" in mot.text
    report = client.get(f"{base}/download.html?{query}")
    assert report.status_code == 200 and "not a medical device" in report.text
    for answer in (measures, table, mot, report):
        assert b"myoreflex-upload" not in answer.content and workdir.encode() not in answer.content
    assert client.get(f"{base}/download.exe?{query}").status_code == 404
    assert os.listdir(workdir) == []


def test_an_unknown_upload_link_is_404(client):
    answer = client.get("/assess/AAAAAAAAAAAAAAAAAAAAAA")
    assert answer.status_code == 404 and "upload it again" in answer.text


def test_shared_dataset_link(client, r1_shared):
    page = client.get("/assess/dataset/cp1-right-pendulum")
    assert page.status_code == 200 and Page(page.text).text["m-r1"] == f"{r1_shared:.4g}"
    assert client.get("/assess/dataset/..%2F..%2Fetc").status_code == 404
    assert client.get("/assess/dataset/td5-pendulum").status_code == 404  # fetched, not shipped: not offered


def test_simulate_controls_come_from_the_declarations(client):
    parsed = Page(client.get("/simulate").text)
    conditions = [a["value"] for t, a in parsed.elements if t == "option"][2:2 + len(CONDITIONS)]
    assert conditions == list(CONDITIONS)
    severity = parsed.find("input", id="severity")[0]
    assert (severity["type"], severity["min"], severity["max"]) == ("range", "0", "1")
    mass = parsed.find("input", id="body_mass_kg")[0]
    assert (float(mass["min"]), float(mass["max"])) == BODY_MASS_BOUNDS_KG
    doses = json.loads(parsed.find("select", id="treatment_name")[0]["data-doses"])
    assert set(doses) == set(TREATMENTS)
    assert doses["baclofen_oral"]["max"] == TREATMENTS.lookup("baclofen_oral").dose_bounds[1]


def test_the_figure_changes_with_the_severity(client):
    mild = client.get("/simulate/figure.png?condition=stroke&severity=0.1")
    marked = client.get("/simulate/figure.png?condition=stroke&severity=0.9")
    assert mild.status_code == marked.status_code == 200
    assert mild.content[:4] == b"\x89PNG" and mild.content != marked.content
    bad = client.get("/simulate/figure.png?severity=7")
    assert bad.status_code == 400 and "severity" in bad.text


def test_teach_signals_follow_the_loop(client):
    answer = client.get("/teach/signals?condition=stroke&severity=0.5")
    assert answer.status_code == 200
    data = answer.json()
    assert [s["key"] for s in data["signals"]] == ["ia", "ii", "ib", "emg", "activation", "force", "angle"]
    assert data["muscle"] == "quadriceps" and len(data["time_s"]) == 400
    assert all(len(s["values"]) == 400 for s in data["signals"])
    ia = next(s for s in data["signals"] if s["key"] == "ia")
    assert ia["high"] > 10.0  # the falling leg stretches the quadriceps: its spindles fire
    assert client.get("/teach/signals?muscle=biceps").status_code == 400
    parsed = Page(client.get("/teach").text)
    assert parsed.find("svg", id="loop-diagram")
    assert {f"wire-{k}" for k in ("ia", "ii", "ib", "emg", "force", "angle")} <= {a.get("id") for _, a in parsed.elements}


def test_learn_pages(client):
    index = client.get("/learn")
    assert index.status_code == 200 and "/learn/" in index.text
    found = client.get("/learn?q=cramps")
    assert found.status_code == 200 and Page(found.text).find("ul", id="results")
    nothing = client.get("/learn?q=xylophone")
    assert "No entry about" in nothing.text
    escaped = client.get("/learn?q=<script>alert(1)</script>")
    assert "<script>alert" not in escaped.text and "&lt;script&gt;" in escaped.text
    entry = client.get("/learn/kind_hemifacial")
    assert entry.status_code == 200 and "Source:" in entry.text
    assert client.get("/learn/nope").status_code == 404


@pytest.mark.parametrize("path", ["/", "/assess", "/simulate", "/teach", "/learn"])
def test_pages_fetch_nothing_from_outside_and_send_safety_headers(client, path):
    answer = client.get(path)
    assert answer.status_code == 200
    for tag, attrs in Page(answer.text).elements:
        for key in ("src", "href", "action"):
            value = attrs.get(key) or ""
            assert not re.match(r"^(https?:)?//", value), (tag, key, value)
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "not a medical device" in answer.text


def test_static_files_only_by_name(client):
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/..%2F__init__.py").status_code == 404
    assert client.get("/static/app.py").status_code == 404


def test_other_hosts_are_refused(client):
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"host": "127.0.0.1:8000"}).status_code == 200
