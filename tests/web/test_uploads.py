"""Bad uploads get a clear message and leave nothing on disk: an empty file, a file past the size
limit (refused by its declared size before its body is read), binary junk named .csv, a name with
``../``; plus the upload helpers themselves."""

import os
import socket
import tempfile
from pathlib import Path

import pytest

from myoreflex.errors import RecordingError
from myoreflex.web.uploads import Upload, UploadStore, private_copy, safe_name, scrub, sniff


@pytest.fixture
def watched(workdir, monkeypatch, tmp_path):
    """The app's upload folder and Python's temporary folder: both must be empty after each request."""
    temporary = tmp_path / "python-tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    yield Path(workdir), temporary
    assert os.listdir(workdir) == [], "an upload folder was left behind"
    assert os.listdir(temporary) == [], "a temporary file was left behind"


def test_empty_file_is_refused_clearly(client, watched):
    got = client.post("/api/assess", files={"file": ("knee.csv", b"")})
    assert got.status_code == 400
    assert got.json()["error"] == "`knee.csv`: expected a recording; got an empty file (0 bytes). choose the file again"


def test_binary_junk_named_csv_is_refused_before_reading(client, watched):
    junk = bytes(range(256)) * 64
    got = client.post("/api/assess", files={"file": ("knee.csv", junk)})
    assert got.status_code == 415
    assert "`knee.csv`: expected text (a .csv recording); got binary content" in got.json()["error"]


def test_a_name_with_dot_dot_is_cut_to_its_last_part(client, watched, pendulum_bytes):
    _, data = pendulum_bytes
    got = client.post("/api/assess", files={"file": ("../../../etc/cron.d/knee.mot", data)},
                      data={"coordinate": "knee_angle_r", "angle_sign": "-1"})
    assert got.status_code == 200, got.text
    assert got.json()["file"] == "knee.mot"
    bad = client.post("/api/assess", files={"file": ("../../x/junk.csv", b"\x00\x01\x02" * 100)})
    assert bad.status_code == 415
    assert "`junk.csv`" in bad.json()["error"] and ".." not in bad.json()["error"]


def test_unknown_suffix_is_refused_listing_the_known_ones(client, watched):
    got = client.post("/api/assess", files={"file": ("run.exe", b"MZ\x90\x00")})
    assert got.status_code == 415
    assert "'.exe'" in got.json()["error"] and ".csv" in got.json()["error"]


def test_a_file_over_the_limit_is_413_in_json_and_html(client, watched, limit):
    too_big = b"time_s,knee_angle_deg\n" + b"0.0,1.0\n" * (limit // 8 + 1)
    got = client.post("/api/assess", files={"file": ("big.csv", too_big)})
    assert got.status_code == 413
    assert "at most 1 MiB" in got.json()["error"]
    page = client.post("/assess", files={"file": ("big.csv", too_big)}, headers={"accept": "text/html"})
    assert page.status_code == 413 and "File too large" in page.text and "at most 1 MiB" in page.text


def test_a_200_mb_upload_is_refused_by_its_size_before_its_body_is_read(server, watched):
    """A real socket: the client declares 200 MB and sends only the first 64 kB; the server answers
    413 at once (it would otherwise wait for the rest), and nothing is written."""
    host, port = server.removeprefix("http://").split(":")
    boundary = "b0undary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    declared = 200 * 1000 * 1000
    request = (f"POST /api/assess HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
               f"boundary={boundary}\r\nContent-Length: {declared}\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request + head + b"0.0,1.0\n" * 8192)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 413 " in status_line, answer[:300]
    assert b"at most 1 MiB" in rest and b"200000000 bytes" in rest


def test_a_chunked_upload_is_counted_and_cut_at_the_limit(client, watched, limit):
    def body():
        boundary = b"--chunks\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n"
        yield boundary
        for _ in range(4 * limit // 65536):
            yield b"1" * 65536

    got = client.post("/api/assess", content=body(), headers={"content-type": "multipart/form-data; boundary=chunks"})
    assert got.status_code == 413


def test_page_errors_are_pages_with_a_way_back(client, watched):
    got = client.post("/assess", files={"file": ("knee.csv", b"")})
    assert got.status_code == 400
    assert "text/html" in got.headers["content-type"]
    assert "empty file" in got.text and "href='/assess'" in got.text


def test_reader_errors_never_show_the_private_folder(client, watched, workdir):
    got = client.post("/api/assess", files={"file": ("knee.csv", b"time_s,knee_angle_deg\n0,1\nx,y\n")})
    assert got.status_code == 422
    assert workdir not in got.text and "myoreflex-upload" not in got.text and "knee.csv" in got.text


def test_safe_name():
    assert safe_name("../../etc/passwd.csv") == "passwd.csv"
    assert safe_name("..\\..\\win\\knee.mot") == "knee.mot"
    assert safe_name("") == safe_name(None) == safe_name("..") == "recording"
    assert safe_name("..csv") == "recording.csv"
    assert safe_name("knee 01;rm -rf.csv") == "knee_01_rm_-rf.csv"
    long = safe_name("a" * 500 + ".mot")
    assert len(long) <= 100 and long.endswith(".mot")


@pytest.mark.parametrize("name, data", [
    ("knee.c3d", b"\x00" * 600), ("stretch.mat", b"not a MATLAB file at all"), ("knee.parquet", b"PAR0xxxx"),
    ("knee.mot", b"\x00\x01binary"), ("knee.csv", b"   \n  \n"),
])
def test_sniff_refuses_content_that_is_not_the_format(name, data):
    with pytest.raises(RecordingError, match=f"`{name}`"):
        sniff(name, data)


def test_sniff_takes_the_real_formats():
    sniff("knee.csv", "time_s,knee_angle_deg\n0,é\n".encode())
    sniff("knee.mat", b"MATLAB 5.0 MAT-file, Platform: x" + b"\x00" * 200)
    c3d = bytearray(512)
    c3d[0], c3d[1] = 2, 0x50
    sniff("knee.c3d", bytes(c3d))


def test_private_copy_is_removed_even_on_error(tmp_path):
    with pytest.raises(ValueError), private_copy("knee.csv", b"x", root=tmp_path) as path:
        assert path.read_bytes() == b"x" and path.parent.parent == tmp_path
        raise ValueError("boom")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RecordingError), private_copy("../knee.csv", b"x", root=tmp_path):
        pass


def test_scrub_cuts_private_folders():
    assert scrub("`/tmp/myoreflex-upload-ab_1/knee.csv`: bad") == "`knee.csv`: bad"


def test_store_drops_the_oldest_past_its_limits():
    store = UploadStore(max_items=2, max_bytes=10)
    first = store.add(Upload("a.csv", b"1234"))
    second = store.add(Upload("b.csv", b"1234"))
    third = store.add(Upload("c.csv", b"1234"))
    assert store.get(first) is None and store.get(second) and store.get(third)
    fourth = store.add(Upload("d.csv", b"12345678"))  # 4 + 8 bytes > 10: only the newest stays
    assert store.get(second) is None and store.get(third) is None and store.get(fourth) and len(store) == 1
    assert store.get("../../etc") is None
