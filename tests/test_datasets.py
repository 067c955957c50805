"""Example recordings by name (myoreflex.datasets): what ships, what is fetched, the local override."""

import functools
import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from myoreflex import datasets
from myoreflex.errors import ParameterError, RecordingError
from myoreflex.measures.pendulum import measure


def test_shipped_recordings_are_there_with_a_licence_that_allows_it():
    for dataset in datasets.DATASETS.values():
        if not dataset.ships:
            continue
        assert dataset.licence in ("MIT", "Apache-2.0"), dataset.name
        assert (datasets.FILES / dataset.path).exists(), dataset.name
        assert (datasets.FILES / dataset.path.split("/")[0] / "LICENSE").is_file(), dataset.name


def test_shipped_copies_are_byte_identical_to_the_shared_data(data_dir):
    for dataset in datasets.DATASETS.values():
        shipped = datasets.FILES / dataset.path
        if dataset.ships and shipped.is_file() and not dataset.derived:
            assert datasets.sha256_of(shipped) == datasets.sha256_of(data_dir / dataset.path), dataset.name


def test_recorded_checksum_matches_the_shared_copy(data_dir):
    tutorial = datasets.DATASETS["pendulum-tutorial"]
    assert datasets.sha256_of(data_dir / tutorial.path) == tutorial.sha256


def test_a_shipped_pendulum_loads_with_its_own_channel_and_sign(monkeypatch):
    monkeypatch.delenv(datasets.DATA_ENV, raising=False)
    trial = datasets.load("cp1-right-pendulum")
    # ANCHORS 4.3: CP1 right R1 1.21, R2n 0.76 (computed on this trace).
    assert measure(trial).r1 == pytest.approx(1.21, abs=0.01)
    assert isinstance(datasets.load("cp1-right-ankle-stretches"), list)


def test_the_tutorial_reads_from_a_local_copy(data_dir, monkeypatch):
    monkeypatch.setenv(datasets.DATA_ENV, str(data_dir))
    assert datasets.path("pendulum-tutorial") == data_dir / datasets.DATASETS["pendulum-tutorial"].path
    # ANCHORS 4.3: the tutorial trace's R1 is 1.62.
    assert measure(datasets.load("pendulum-tutorial")).r1 == pytest.approx(1.62, abs=0.01)


def test_local_override_wins_and_falls_back_when_it_lacks_the_file(tmp_path, monkeypatch):
    dataset = datasets.DATASETS["elbow-stroke-curve"]
    local = tmp_path / dataset.path
    local.parent.mkdir(parents=True)
    local.write_text("90,0\n")
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    assert datasets.path("elbow-stroke-curve") == local
    assert datasets.path("elbow-healthy-10") == datasets.FILES / datasets.DATASETS["elbow-healthy-10"].path


def test_resolve_keeps_paths_and_maps_names(tmp_path):
    existing = tmp_path / "cp1-right-pendulum"
    existing.write_text("a file that happens to carry a dataset's name")
    assert datasets.resolve(existing) == existing
    assert datasets.resolve("cp1-right-pendulum") == datasets.path("cp1-right-pendulum")
    assert datasets.resolve("no/such/file.csv") == Path("no/such/file.csv")


def test_unknown_name_lists_the_datasets():
    with pytest.raises(ParameterError, match="cp1-right-pendulum"):
        datasets.path("cp9-pendulum")


@pytest.fixture
def server(tmp_path):
    """A local HTTP server over tmp_path/served, counting requests."""
    served = tmp_path / "served"
    served.mkdir()
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()


def _remote(monkeypatch, tmp_path, url, sha256):
    pytest.importorskip("pooch")
    monkeypatch.setenv("MYOREFLEX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(datasets.DATA_ENV, raising=False)
    remote = datasets.Dataset("remote-test", "remote/trace.csv", "a test trace", "none stated", "a test",
                              url=url, sha256=sha256)
    monkeypatch.setitem(datasets.DATASETS, "remote-test", remote)


def test_a_fetched_recording_is_checked_and_cached(server, tmp_path, monkeypatch):
    served, base, hits = server
    body = b"time_s,knee_angle_deg\n0.0,0\n0.01,1\n0.02,3\n"
    (served / "trace.csv").write_bytes(body)
    _remote(monkeypatch, tmp_path, f"{base}/trace.csv", hashlib.sha256(body).hexdigest())
    first = datasets.path("remote-test")
    assert first.read_bytes() == body and first.is_relative_to(tmp_path / "cache")
    assert datasets.path("remote-test") == first
    assert len(hits) == 1  # the second call used the cache


def test_a_download_with_the_wrong_checksum_is_refused(server, tmp_path, monkeypatch):
    served, base, _ = server
    (served / "trace.csv").write_bytes(b"tampered\n")
    _remote(monkeypatch, tmp_path, f"{base}/trace.csv", "0" * 64)
    with pytest.raises(RecordingError, match="remote-test"):
        datasets.path("remote-test")


def test_offline_names_the_override(tmp_path, monkeypatch):
    _remote(monkeypatch, tmp_path, "http://127.0.0.1:9/trace.csv", None)
    with pytest.raises(RecordingError, match=datasets.DATA_ENV):
        datasets.path("remote-test")
