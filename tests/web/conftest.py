"""Fixtures of the web app's tests: a test client whose uploads go to a folder the tests watch, the
shared pendulum recording, and a real server (uvicorn in a thread) for the socket and browser tests."""

import socket
import tempfile
import threading
import time
import warnings

import pytest

pytest.importorskip("fastapi", reason="the web app needs the `web` extra (fastapi, uvicorn, python-multipart)")
pytest.importorskip("multipart", reason="the web app needs the `web` extra (python-multipart)")

from myoreflex import datasets

SHARED_PENDULUM = "cp1-right-pendulum"
"""The shared recording every test uploads: a child's spastic knee (KU Leuven CP1, OpenSim .mot, MIT).
``assess pendulum --coordinate knee_angle_r --angle-sign -1`` gives R1 1.2148 (tests/test_cli_assess.py)."""
R1_SHARED = 1.214800721417153
LIMIT = 1024 * 1024  # a small upload limit for the tests (1 MiB); the shared .mot is 96 kB


@pytest.fixture(scope="session")
def pendulum_bytes() -> tuple[str, bytes]:
    path = datasets.path(SHARED_PENDULUM)
    return path.name, path.read_bytes()


@pytest.fixture(scope="session")
def workdir():
    """Where the app makes its private upload folders in these tests (checked empty after each request)."""
    folder = tempfile.mkdtemp(prefix="myoreflex-web-test-")
    yield folder


@pytest.fixture(scope="session")
def app(workdir):
    from myoreflex.web import create_app

    return create_app(max_upload_bytes=LIMIT, workdir=workdir)


@pytest.fixture(scope="session")
def client(app):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's note on httpx versions
        from starlette.testclient import TestClient

        with TestClient(app) as test_client:
            yield test_client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def server(app):
    """``http://127.0.0.1:PORT``: the same app served by uvicorn in a thread for the session."""
    uvicorn = pytest.importorskip("uvicorn")
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start within 30 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def limit() -> int:
    return LIMIT


@pytest.fixture(scope="session")
def r1_shared() -> float:
    return R1_SHARED
