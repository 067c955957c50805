"""The HTTP API answers the command line's JSON contracts, and errors as ``{"error": ...}`` with 4xx codes."""

import json

from typer.testing import CliRunner

from myoreflex import datasets
from myoreflex.cli import app as cli
from myoreflex.cli._common import PENDULUM_CONTRACT_KEYS
from myoreflex.web import service

runner = CliRunner()


def _cli_json(*args: str) -> dict:
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_contract_keys_are_the_command_lines():
    assert service.PENDULUM_CONTRACT_KEYS == PENDULUM_CONTRACT_KEYS


def test_api_assess_answers_assess_pendulum_json(client, pendulum_bytes, r1_shared):
    name, data = pendulum_bytes
    got = client.post("/api/assess", files={"file": (name, data)},
                      data={"coordinate": "knee_angle_r", "angle_sign": "-1"})
    assert got.status_code == 200, got.text
    expected = _cli_json("assess", "pendulum", str(datasets.path("cp1-right-pendulum")), "--coordinate", "knee_angle_r",
                         "--angle-sign", "-1")
    answer = got.json()
    assert answer["file"] == name  # the uploaded name, never a server path
    assert {k: v for k, v in answer.items() if k != "file"} == {k: v for k, v in expected.items() if k != "file"}
    assert answer["metrics"]["r1"] == r1_shared


def test_api_assess_without_the_channel_names_the_candidates(client, pendulum_bytes):
    name, data = pendulum_bytes
    got = client.post("/api/assess", files={"file": (name, data)})
    assert got.status_code == 422
    assert "knee_angle_r" in got.json()["error"] and name in got.json()["error"]


def test_api_assess_bad_fields_are_400(client, pendulum_bytes):
    name, data = pendulum_bytes
    for fields, words in (({"test": "tsrt"}, "test"), ({"angle_sign": "2"}, "angle_sign"),
                          ({"colour": "red"}, "colour")):
        got = client.post("/api/assess", files={"file": (name, data)}, data={"coordinate": "knee_angle_r", **fields})
        assert got.status_code == 400, got.text
        assert words in got.json()["error"]
    no_file = client.post("/api/assess", data={"coordinate": "x"})
    assert no_file.status_code == 400 and "file" in no_file.json()["error"]


def test_api_simulate_answers_simulate_pendulum_json(client):
    options = {"condition": "stroke", "severity": 0.5, "age_years": 10, "sex": "female"}
    got = client.post("/api/simulate", json=options)
    assert got.status_code == 200, got.text
    expected = _cli_json("simulate", "pendulum", "--condition", "stroke", "--severity", "0.5", "--age-years", "10",
                         "--sex", "female")
    # the app records more channels (the Teach page's) than the command line: the same dynamics, so the
    # measures agree to rounding (1e-9 relative), the rest exactly
    answer = got.json()
    assert {k: v for k, v in answer.items() if k != "metrics"} == {k: v for k, v in expected.items() if k != "metrics"}
    for key, value in expected["metrics"].items():
        assert abs(answer["metrics"][key] - value) <= 1e-9 * max(1.0, abs(value)), key


def test_api_simulate_treatment_lowers_r1_deficit(client):
    stroke = client.post("/api/simulate", json={"condition": "stroke", "severity": 0.7}).json()
    treated = client.post("/api/simulate", json={"condition": "stroke", "severity": 0.7,
                                                 "treatment": "baclofen_intrathecal"}).json()
    assert [t["name"] for t in treated["treatments"]] == ["baclofen_intrathecal"]
    assert treated["metrics"]["r1"] > stroke["metrics"]["r1"]  # less reflex braking of the first swing


def test_api_simulate_errors_are_json_400(client):
    cases = [({"severity": 1.5}, "severity"), ({"condition": "flu"}, "condition"), ({"sevrity": 0.5}, "sevrity"),
             ({"body_mass_kg": 5}, "body_mass_kg"), ({"sex": "x"}, "sex"), ({"treatment": "magic:3"}, "magic"),
             ({"severity": "high"}, "severity"), ({"lenient": "maybe"}, "lenient")]
    for body, word in cases:
        got = client.post("/api/simulate", json=body)
        assert got.status_code == 400, (body, got.text)
        assert word in got.json()["error"], (body, got.json())
    not_json = client.post("/api/simulate", content=b"{condition", headers={"content-type": "application/json"})
    assert not_json.status_code == 400 and "JSON" in not_json.json()["error"]
    a_list = client.post("/api/simulate", json=[1, 2])
    assert a_list.status_code == 400


def test_unknown_api_route_is_json_404(client):
    got = client.get("/api/nothing")
    assert got.status_code == 404 and "error" in got.json()


def test_api_simulate_answers_the_calibrated_presets_as_the_command_line_does(client):
    options = {"calibrated": True, "age_years": 10, "release_angle_deg": 5, "duration_s": 8}
    got = client.post("/api/simulate", json=options)
    assert got.status_code == 200, got.text
    expected = _cli_json("simulate", "pendulum", "--calibrated", "--age-years", "10", "--release-angle-deg", "5",
                         "--duration-s", "8")
    answer = got.json()
    assert answer["calibrated"] is True and answer["release_angle_deg"] == 5 and answer["duration_s"] == 8
    assert {k: v for k, v in answer.items() if k != "metrics"} == {k: v for k, v in expected.items() if k != "metrics"}
    for key, value in expected["metrics"].items():
        assert abs(answer["metrics"][key] - value) <= 1e-9 * max(1.0, abs(value)), key
    refused = client.post("/api/simulate", json={"test": "stretch", "calibrated": True})
    assert refused.status_code == 400 and "calibrated presets of the elbow" in refused.text
