"""What the app does with a file sent to it: size limit, name, content check, a private copy, removal.

An upload is never trusted and never executed:

- **size**: a request whose ``Content-Length`` says more than the limit is answered 413 before one
  byte of its body is read; a body without a length (chunked) is counted as it arrives and refused
  at the first chunk past the limit (:class:`BodyLimit`, an ASGI middleware);
- **name**: only the last component of the client's file name is kept, reduced to letters, digits,
  ``. _ -`` (:func:`safe_name`); it is shown back and names the private copy, never a path;
- **content**: the suffix picks the reader (:func:`myoreflex.io.reader_for`) and the first bytes
  must look like that format (:func:`sniff`): text for CSV/TSV/.mot/.sto, the C3D parameter
  marker, a MATLAB 5 header or HDF5 signature, an EDF/BDF header, Parquet's ``PAR1``;
- **reading**: the bytes are written into a fresh private folder (``tempfile.mkdtemp``, mode 0700)
  under the file's safe name, read by the readers only (which never unpickle: ``scipy.io.loadmat``
  without object arrays, ``ezc3d`` in a child process, text parsed into NumPy), and the folder is
  removed when the block ends, whatever happened (:func:`private_copy`);
- **messages**: an error is the reader's one-line message with the private folder's path cut out.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from myoreflex.errors import RecordingError, describe

MAX_UPLOAD_BYTES = 32 * 1024 * 1024
"""Largest upload the app takes (bytes): 32 MiB, about 20 minutes of 16 channels at 2 kHz in CSV.
``create_app(max_upload_bytes=...)`` changes it."""
FORM_OVERHEAD_BYTES = 64 * 1024
"""What a multipart body may carry besides the file (boundaries, headers, the small fields)."""
NAME_LENGTH = 100
"""Longest file name kept (characters; the suffix is kept whole)."""
SNIFF_BYTES = 64 * 1024

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UploadTooLarge(Exception):
    """A request body past the limit (answered 413)."""

    def __init__(self, limit: int, got: int | None = None):
        self.limit, self.got = limit, got
        size = "more" if got is None else f"{got} bytes"
        super().__init__(describe("upload", f"a file of at most {limit // (1024 * 1024)} MiB ({limit} bytes)", size,
                                  "cut the recording, or start the app with a larger limit"))


class BodyLimit:
    """ASGI middleware: refuse a POST body past ``max_bytes`` (413) before or while it is read.

    With a ``Content-Length`` past the limit the answer goes out at once and the body is not read;
    otherwise the body is counted as the app reads it and :class:`UploadTooLarge` is raised in the
    app at the first chunk past the limit (the app's handler answers 413).
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = int(max_bytes)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared < 0 or declared > self.max_bytes:
                error = UploadTooLarge(self.max_bytes - FORM_OVERHEAD_BYTES, max(declared, 0))
                wants_html = b"text/html" in headers.get(b"accept", b"") and not scope["path"].startswith("/api/")
                await _refuse(send, 413 if declared >= 0 else 400, str(error), html=wants_html)
                return
        seen = 0
        limit = self.max_bytes

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise UploadTooLarge(limit - FORM_OVERHEAD_BYTES, seen)
            return message

        await self.app(scope, counted, send)


async def _refuse(send, status: int, message: str, *, html: bool) -> None:
    if html:
        from myoreflex.web.pages import error_page

        body, kind = error_page(status, message).encode("utf-8"), b"text/html; charset=utf-8"
    else:
        body, kind = json.dumps({"error": message}).encode("utf-8"), b"application/json"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def safe_name(client_name: str | None) -> str:
    """The last component of a client's file name, reduced to ``[A-Za-z0-9._-]``, at most
    :data:`NAME_LENGTH` characters with its suffix kept, never empty, never starting with a dot.

    Examples
    --------
    >>> safe_name("../../etc/passwd.csv"), safe_name("C:\\\\data\\\\knee 01.mot"), safe_name("..")
    ('passwd.csv', 'knee_01.mot', 'recording')
    >>> safe_name("sub-01_task-pendulum_motion.tsv")
    'sub-01_task-pendulum_motion.tsv'
    """
    last = re.split(r"[\\/]", str(client_name or ""))[-1]
    cleaned = _UNSAFE.sub("_", last).strip("._")
    suffix = _UNSAFE.sub("_", Path(last).suffix)
    if "." not in cleaned and suffix:  # "..csv": the strip took the suffix's dot
        cleaned = "recording" + suffix
    cleaned = cleaned or "recording"
    if len(cleaned) > NAME_LENGTH:
        stem, dot, suffix = cleaned.rpartition(".")
        suffix = suffix[:16]
        cleaned = (stem[: NAME_LENGTH - len(suffix) - 1] + "." + suffix) if dot else cleaned[:NAME_LENGTH]
    return cleaned


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut at the end of the window
            try:
                text = head.decode("latin-1")
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
                return False
        else:
            text = head[: error.start].decode("utf-8")
    if not text.strip():
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    return controls <= len(text) // 200


SIGNATURES = {
    ".c3d": "a C3D file (byte 2 = 0x50)",
    ".mat": "a MATLAB file (a 'MATLAB 5.0 MAT-file' header, or HDF5 for v7.3)",
    ".edf": "an EDF file (header starting '0       ')",
    ".bdf": "a BDF file (header starting 0xFF 'BIOSEMI')",
    ".parquet": "a Parquet file (starting 'PAR1')",
}
TEXT_SUFFIXES = (".csv", ".txt", ".tsv", ".mot", ".sto")


def sniff(name: str, data: bytes) -> None:
    """Check that ``data`` looks like the format ``name``'s suffix says, else
    :class:`~myoreflex.errors.RecordingError` naming the file, the format and what it holds.

    Examples
    --------
    >>> sniff("knee.csv", b"time_s,knee_angle_deg\\n0,10\\n")
    >>> sniff("knee.csv", b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00")
    Traceback (most recent call last):
    ...
    myoreflex.errors.RecordingError: `knee.csv`: expected text (a .csv recording); got binary content. ...
    """
    from myoreflex.io import reader_for

    reader_for(name)  # an unknown suffix: RecordingError listing the known ones
    what = f"`{name}`"
    if not data:
        raise RecordingError(describe(what, "a recording", "an empty file (0 bytes)", "choose the file again"))
    suffix = Path(name).suffix.lower()
    head = data[:SNIFF_BYTES]
    if suffix in TEXT_SUFFIXES:
        if not _is_text(head):
            raise RecordingError(describe(what, f"text (a {suffix} recording)", "binary content",
                                          "is the file name's suffix right?"))
        return
    ok = {
        ".c3d": len(head) >= 512 and head[1] == 0x50,
        ".mat": head.startswith(b"MATLAB") or data[512:520] == b"\x89HDF\r\n\x1a\n",
        ".edf": head.startswith(b"0       "),
        ".bdf": head.startswith(b"\xffBIOSEMI"),
        ".parquet": head.startswith(b"PAR1") and data.endswith(b"PAR1"),
    }.get(suffix, True)
    if not ok:
        raise RecordingError(describe(what, SIGNATURES[suffix], "other content", "is the file name's suffix right?"))


@contextlib.contextmanager
def private_copy(name: str, data: bytes, *, root: str | Path | None = None) -> Iterator[Path]:
    """``data`` written as ``name`` (a :func:`safe_name`) into a fresh private folder under ``root``
    (default: the system's temporary folder); the folder and all in it are removed on exit."""
    if name != safe_name(name):
        raise RecordingError(describe("file name", "a safe name (letters, digits, . _ -)", repr(name)))
    folder = Path(tempfile.mkdtemp(prefix="myoreflex-upload-", dir=root))
    try:
        path = folder / name
        path.write_bytes(data)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def scrub(message: str, *folders: str | Path) -> str:
    """``message`` with every private folder's path cut out (only file names reach the client)."""
    for folder in folders:
        if folder:
            message = message.replace(str(folder) + "/", "").replace(str(folder), "")
    return re.sub(r"[^\s`'\"]*myoreflex-upload-[A-Za-z0-9_]+/?", "", message)


@dataclasses.dataclass(frozen=True)
class Upload:
    """A recording sent to the app: its safe name, its bytes (in memory, never on disk between
    requests) and reader defaults (a named dataset's angle channel and sign)."""

    name: str
    data: bytes
    defaults: tuple = ()


class UploadStore:
    """The uploads of this server process, by random token: at most ``max_items`` and ``max_bytes``
    in all, the oldest dropped first, each kept ``max_age_s`` seconds. Only memory: nothing is
    written to disk, and everything goes when the server stops."""

    def __init__(self, max_items: int = 16, max_bytes: int = 256 * 1024 * 1024, max_age_s: float = 3600.0):
        self.max_items, self.max_bytes, self.max_age_s = max_items, max_bytes, max_age_s
        self._items: collections.OrderedDict[str, tuple[float, Upload]] = collections.OrderedDict()
        self._results: dict[tuple, object] = {}
        self._lock = threading.Lock()

    def add(self, upload: Upload) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._items[token] = (time.monotonic(), upload)
            self._prune()
        return token

    def get(self, token: str) -> Upload | None:
        if not TOKEN.fullmatch(token or ""):
            return None
        with self._lock:
            self._prune()
            found = self._items.get(token)
            return None if found is None else found[1]

    def result(self, key: tuple, compute):
        """``compute()`` once per ``key`` (whose first item is the token) while the upload is kept."""
        with self._lock:
            if key in self._results:
                return self._results[key]
        value = compute()
        with self._lock:
            if key[0] in self._items:
                self._results[key] = value
        return value

    def __len__(self) -> int:
        return len(self._items)

    def _prune(self) -> None:
        now = time.monotonic()
        total = sum(len(u.data) for _, u in self._items.values())
        while self._items:
            token, (created, upload) = next(iter(self._items.items()))
            if len(self._items) <= self.max_items and total <= self.max_bytes and now - created <= self.max_age_s:
                break
            del self._items[token]
            total -= len(upload.data)
        for key in [k for k in self._results if k[0] not in self._items]:
            del self._results[key]


TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
