"""Run the native parsers (ezc3d, scipy's MATLAB reader) where a damaged file cannot crash the caller.

ezc3d (C++) and scipy's MATLAB v5 reader (Cython) crash the process with a segmentation fault, or
loop, on some damaged files (the reader fuzz suite, tests/io/test_fuzz.py, found both). No
``try`` catches that. So the readers hand the file's bytes to a helper process that parses them:
a crash or a hang there is reported as :class:`Crashed` and the helper is started afresh on the next
call; the caller turns it into one :class:`~myoreflex.errors.RecordingError` line.

One helper per process, started on first use (about 0.3 s to import numpy, scipy and ezc3d) and
reused: a small file costs a few milliseconds more than in-process parsing. It reads requests on
its stdin and exits when that closes, so it never outlives its parent. The protocol is a 9-byte
header (kind, length) and the payload, each way; the helper writes nothing else on that stream
(its own stdout goes to stderr, which is discarded).
"""

from __future__ import annotations

import atexit
import os
import selectors
import struct
import subprocess
import sys
import threading
import time

KIND_MAT, KIND_C3D = 1, 2
OK, FAILED = 0, 1
_HEAD = struct.Struct("<BQ")

_HELPER = r"""
import io, json, os, struct, sys, tempfile

channel = os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)  # anything a library prints goes to stderr, never into the replies
requests = sys.stdin.buffer
HEAD = struct.Struct("<BQ")


def plain(value):
    import numpy as np

    if isinstance(value, np.ndarray):
        value = value.ravel().tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def mat(data):
    import scipy.io

    scipy.io.loadmat(io.BytesIO(data), squeeze_me=True, struct_as_record=False)
    return b""


def c3d(data):
    import ezc3d
    import numpy as np

    with tempfile.NamedTemporaryFile(suffix=".c3d") as handle:
        handle.write(data)
        handle.flush()
        c3d = ezc3d.c3d(handle.name)
    params = c3d["parameters"]
    groups = {}
    for name in ("ANALOG", "POINT", "MANUFACTURER"):
        if name in params:
            group = params[name]
            groups[name] = {key: {"value": plain(group[key]["value"])} for key in group
                            if not key.startswith("__") and isinstance(group[key], dict) and "value" in group[key]}
    points = c3d["header"]["points"]
    header = {"points": {key: plain(points[key]) for key in ("first_frame", "frame_rate", "size")}}
    text = json.dumps({"parameters": groups, "header": header}).encode()
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(c3d["data"]["analogs"], dtype=float), allow_pickle=False)
    return struct.pack("<Q", len(text)) + text + buffer.getvalue()


while True:
    head = requests.read(HEAD.size)
    if len(head) < HEAD.size:
        break
    kind, size = HEAD.unpack(head)
    data = requests.read(size)
    try:
        status, reply = 0, (mat if kind == 1 else c3d)(data)
    except Exception as exc:
        status, reply = 1, f"{type(exc).__name__}: {exc}".encode(errors="replace")
    channel.write(HEAD.pack(status, len(reply)) + reply)
    channel.flush()
"""


class Crashed(Exception):
    """The helper died (``code``: its exit code, negative for a signal) or did not answer within
    ``seconds`` (``code`` None)."""

    def __init__(self, code: int | None, seconds: float):
        super().__init__(code, seconds)
        self.code = code
        self.seconds = seconds

    def describe(self, parser: str) -> str:
        """What happened, for a message: ``ezc3d crashed (signal 11)``, ``... still reading after 30 s``."""
        if self.code is None:
            return f"{parser} still reading after {self.seconds:.0f} s"
        if self.code < 0:
            return f"{parser} crashed (signal {-self.code})"
        return f"{parser} failed (exit {self.code})"


class _Helper:
    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.pid = None
        self.lock = threading.Lock()

    def _start(self) -> subprocess.Popen:
        if self.process is None or self.process.poll() is not None or self.pid != os.getpid():
            self.process = subprocess.Popen([sys.executable, "-c", _HELPER], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
            self.pid = os.getpid()
        return self.process

    def _stop(self, grace: float = 0.0) -> int | None:
        """Stop the helper (after ``grace`` seconds for one that is dying) and return its exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        if process.poll() is None:
            process.kill()
        code = process.wait()
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        return code

    def call(self, kind: int, data: bytes, timeout: float) -> tuple[int, bytes]:
        """``(OK or FAILED, reply)`` of the helper for ``data``; :class:`Crashed` if it died or hung."""
        with self.lock:
            process = self._start()
            start = time.monotonic()
            try:
                process.stdin.write(_HEAD.pack(kind, len(data)))
                process.stdin.write(data)
                process.stdin.flush()
                head = self._read(process, _HEAD.size, start + timeout)
                status, size = _HEAD.unpack(head)
                return status, self._read(process, size, start + timeout)
            except (BrokenPipeError, EOFError, ConnectionError):
                code = self._stop(grace=2.0)
                raise Crashed(code if code is not None else -9, time.monotonic() - start) from None
            except TimeoutError:
                self._stop()
                raise Crashed(None, timeout) from None

    @staticmethod
    def _read(process: subprocess.Popen, size: int, deadline: float) -> bytes:
        fd = process.stdout.fileno()
        parts, left = [], size
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while left:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                if not selector.select(remaining):
                    continue
                chunk = os.read(fd, min(left, 1 << 20))
                if not chunk:
                    raise EOFError
                parts.append(chunk)
                left -= len(chunk)
        return b"".join(parts)


_helper = _Helper()


@atexit.register
def _close() -> None:
    if _helper.pid == os.getpid():  # never a helper inherited through fork
        _helper._stop()


def parse(kind: int, data: bytes, timeout: float) -> tuple[int, bytes]:
    """Parse ``data`` (a .mat file's bytes: ``KIND_MAT``; a C3D file's: ``KIND_C3D``) in the helper.

    Returns ``(OK, reply)`` or ``(FAILED, "ExceptionType: message")``; raises :class:`Crashed`
    when the parser crashed the helper or ran past ``timeout`` seconds.
    """
    return _helper.call(kind, data, timeout)
