"""The downloader against a real HTTP server on 127.0.0.1, and the local-first lookup order."""

import hashlib
import http.server
import threading
from typing import ClassVar

import pytest

from text_recognizer import paths
from text_recognizer.data import download
from text_recognizer.data.errors import ChecksumMismatchError, DownloadError, MissingDataError

PAYLOAD = b"handwriting " * 5000
PAYLOAD_SHA256 = hashlib.sha256(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self):
        type(self).requests.append(self.path)
        if self.path.startswith("/truncated"):
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[:1000])
            return
        if self.path.startswith("/hang-up"):
            self.close_connection = True
            self.connection.close()
            return
        if self.path.startswith("/other"):
            self.send_response(200)
            self.send_header("Content-Length", "9")
            self.end_headers()
            self.wfile.write(b"different")
            return
        if self.path.startswith("/missing"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def remote(*urls, digest=PAYLOAD_SHA256):
    return download.RemoteFile("file.bin", tuple(urls), "sha256", digest)


def test_download_verifies_and_writes(server, tmp_path):
    path = download.download(remote(f"{server}/ok"), tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]


def test_checksum_mismatch_names_file_and_digests_and_leaves_nothing(server, tmp_path):
    with pytest.raises(ChecksumMismatchError) as error:
        download.download(remote(f"{server}/ok", digest="0" * 64), tmp_path)
    message = str(error.value)
    assert "file.bin" in message and "0" * 64 in message and hashlib.sha256(PAYLOAD).hexdigest() in message
    assert "metadata.toml" in message
    assert list(tmp_path.iterdir()) == []


def test_truncated_download_is_retried_then_fails_cleanly(server, tmp_path):
    _Handler.requests.clear()
    with pytest.raises(DownloadError, match="truncated"):
        download.download(remote(f"{server}/truncated"), tmp_path, retries=2, backoff_s=0)
    assert _Handler.requests == ["/truncated", "/truncated"]
    assert list(tmp_path.iterdir()) == []


def test_connection_closed_before_headers_is_retried(server, tmp_path):
    _Handler.requests.clear()
    with pytest.raises(DownloadError, match="connection failed"):
        download.download(remote(f"{server}/hang-up"), tmp_path, retries=2, backoff_s=0)
    assert _Handler.requests == ["/hang-up", "/hang-up"]


def test_checksum_mismatch_tries_the_next_url(server, tmp_path):
    first = download.RemoteFile("file.bin", (f"{server}/other", f"{server}/ok"), "sha256", PAYLOAD_SHA256)
    assert download.download(first, tmp_path).read_bytes() == PAYLOAD
    with pytest.raises(ChecksumMismatchError) as error:
        download.download(remote(f"{server}/other", f"{server}/ok", digest="0" * 64), tmp_path)
    assert str(error.value).count("metadata.toml expects") == 2, "both URLs were tried"


def test_retries_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="at least 1"):
        download.download(remote("http://127.0.0.1:9/x"), tmp_path, retries=0)


def test_falls_back_to_the_next_url(server, tmp_path):
    path = download.download(remote(f"{server}/missing", f"{server}/ok"), tmp_path, backoff_s=0)
    assert path.read_bytes() == PAYLOAD


def test_existing_file_is_replaced_only_when_verified(server, tmp_path):
    (tmp_path / "file.bin").write_bytes(b"old")
    with pytest.raises(ChecksumMismatchError):
        download.download(remote(f"{server}/ok", digest="f" * 64), tmp_path)
    assert (tmp_path / "file.bin").read_bytes() == b"old"


@pytest.fixture
def data_dirs(tmp_path, monkeypatch):
    raw, mirror = tmp_path / "raw", tmp_path / "mirror"
    (raw / "toy").mkdir(parents=True)
    (mirror / "toy").mkdir(parents=True)
    monkeypatch.setattr(paths, "RAW_DATA_DIR", raw)
    monkeypatch.setenv(paths.MIRROR_ENV_VAR, str(mirror))
    return raw, mirror


def test_lookup_prefers_raw_dir_then_mirror(data_dirs):
    raw, mirror = data_dirs
    (mirror / "toy" / "a.bin").write_bytes(b"mirror")
    assert download.fetch("toy", "a.bin") == mirror / "toy" / "a.bin"
    (raw / "toy" / "a.bin").write_bytes(b"raw")
    assert download.fetch("toy", "a.bin") == raw / "toy" / "a.bin"


def test_fetch_downloads_when_not_local(data_dirs, server):
    raw, _ = data_dirs
    (raw / "toy" / "metadata.toml").write_text(
        f'[[files]]\nfilename = "b.bin"\nurls = ["{server}/ok"]\n'
        f'checksum = {{ algorithm = "sha256", digest = "{PAYLOAD_SHA256}" }}\n'
    )
    assert download.fetch("toy", "b.bin").read_bytes() == PAYLOAD


def test_fetch_without_local_copy_or_url_says_where_to_put_it(data_dirs):
    raw, _ = data_dirs
    (raw / "toy" / "metadata.toml").write_text('name = "toy"\n')
    with pytest.raises(MissingDataError, match="Place the file in"):
        download.fetch("toy", "c.bin")


def test_committed_metadata_files_parse():
    emnist = download.load_metadata("emnist")
    assert emnist.files["matlab.zip"].digest.startswith("e1fa805c")
    assert len(emnist.files["matlab.zip"].urls) == 2
    mnist = download.load_metadata("mnist")
    assert {f.algorithm for f in mnist.files.values()} == {"md5"} and len(mnist.files) == 4
