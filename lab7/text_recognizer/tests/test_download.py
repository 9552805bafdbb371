"""The downloader against a real HTTP server on 127.0.0.1 (slow, failing, truncating), and the lookup order."""

import hashlib
import threading

import pytest

from evaluation.local_file_server import LocalFileServer
from text_recognizer import paths
from text_recognizer.data import download
from text_recognizer.data.errors import ChecksumMismatchError, DataFormatError, DownloadError, MissingDataError

PAYLOAD = b"handwriting " * 5000
PAYLOAD_SHA256 = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def files():
    with LocalFileServer(files={"ok": PAYLOAD, "other": b"different"}) as server:
        yield server


def remote(*urls, digest=PAYLOAD_SHA256):
    return download.RemoteFile("file.bin", tuple(urls), "sha256", digest)


def test_download_verifies_and_writes(files, tmp_path):
    path = download.download(remote(files.url("ok")), tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]


def test_checksum_mismatch_names_file_and_digests_and_leaves_nothing(files, tmp_path):
    with pytest.raises(ChecksumMismatchError) as error:
        download.download(remote(files.url("ok"), digest="0" * 64), tmp_path)
    message = str(error.value)
    assert "file.bin" in message and "0" * 64 in message and PAYLOAD_SHA256 in message
    assert "record the new checksum" in message
    assert list(tmp_path.iterdir()) == []


def test_truncated_download_is_retried_then_fails_cleanly(files, tmp_path):
    files.faults["/ok"] = ["truncate", "truncate"]
    with pytest.raises(DownloadError, match="connection broke after"):
        download.download(remote(files.url("ok")), tmp_path, retries=2, backoff_s=0)
    assert files.hits["/ok"] == 2
    assert list(tmp_path.iterdir()) == []


def test_transient_failures_are_retried_until_the_file_comes(files, tmp_path):
    files.faults["/ok"] = ["503", "hang-up", "truncate"]
    assert download.download(remote(files.url("ok")), tmp_path, retries=4, backoff_s=0).read_bytes() == PAYLOAD
    assert files.hits["/ok"] == 4


def test_connection_closed_before_headers_is_retried(files, tmp_path):
    files.faults["/ok"] = ["hang-up", "hang-up"]
    with pytest.raises(DownloadError, match="connection failed"):
        download.download(remote(files.url("ok")), tmp_path, retries=2, backoff_s=0)
    assert files.hits["/ok"] == 2


def test_not_found_and_html_pages_are_not_retried(files, tmp_path):
    files.faults["/ok"] = ["html"]
    with pytest.raises(DownloadError) as error:
        download.download(remote(files.url("missing"), files.url("ok")), tmp_path, retries=3, backoff_s=0)
    assert "HTTP 404" in str(error.value) and "HTML page" in str(error.value)
    assert files.hits == {"/missing": 1, "/ok": 1}
    assert list(tmp_path.iterdir()) == []


def test_checksum_mismatch_tries_the_next_url(files, tmp_path):
    first = download.RemoteFile("file.bin", (files.url("other"), files.url("ok")), "sha256", PAYLOAD_SHA256)
    assert download.download(first, tmp_path).read_bytes() == PAYLOAD
    with pytest.raises(ChecksumMismatchError) as error:
        download.download(remote(files.url("other"), files.url("ok"), digest="0" * 64), tmp_path)
    assert str(error.value).count("is recorded for it") == 2, "both URLs were tried"


def test_a_validator_rejects_a_file_before_it_lands(files, tmp_path):
    def reject(path):
        raise DataFormatError(f"{path.stat().st_size} bytes is not an image")

    with pytest.raises(DownloadError, match="60000 bytes is not an image"):
        download.download(remote(files.url("ok"), digest=None), tmp_path, validate=reject)
    assert list(tmp_path.iterdir()) == []


def many_files(count: int) -> dict[str, bytes]:
    return {f"page_{i}.bin": f"page {i} ".encode() * 1000 for i in range(count)}


def test_fetch_many_reports_digests_and_failures_and_resumes(tmp_path):
    bodies = many_files(12)
    with LocalFileServer(files=bodies) as server:
        remotes = [download.RemoteFile(f"sub/{name}", (server.url(name),)) for name in bodies]
        remotes.append(download.RemoteFile("sub/gone.bin", (server.url("gone.bin"),)))
        server.faults["/page_3.bin"] = ["503"]
        done = []
        report = download.fetch_many(remotes, tmp_path, workers=4, backoff_s=0, on_done=lambda *args: done.append(args))
        assert report.fetched == {f"sub/{name}": hashlib.sha256(body).hexdigest() for name, body in bodies.items()}
        assert list(report.failed) == ["sub/gone.bin"] and "HTTP 404" in report.failed["sub/gone.bin"]
        assert sorted(done) == sorted(report.fetched.items())
        assert server.hits["/page_3.bin"] == 2

        (tmp_path / "sub" / "page_0.bin").unlink()
        (tmp_path / "sub" / "page_1.bin").write_bytes(b"corrupted on disk")
        recorded = [download.RemoteFile(r.filename, r.urls, digest=report.digests.get(r.filename)) for r in remotes]
        server.hits.clear()
        again = download.fetch_many(recorded[:-1], tmp_path, workers=4, backoff_s=0)
    assert sorted(again.fetched) == ["sub/page_0.bin", "sub/page_1.bin"], "only what is missing or corrupt"
    assert len(again.reused) == 10 and not again.failed
    assert set(server.hits) == {"/page_0.bin", "/page_1.bin"}


def test_fetch_many_runs_downloads_in_parallel(tmp_path):
    bodies = many_files(8)
    with LocalFileServer(files=bodies, latency_s=0.2) as server:
        threads_seen = set()

        def note_thread(path):
            threads_seen.add(threading.get_ident())

        remotes = [download.RemoteFile(name, (server.url(name),)) for name in bodies]
        report = download.fetch_many(remotes, tmp_path, workers=8, validate=note_thread)
    assert len(report.fetched) == 8 and len(threads_seen) > 1


def test_a_changed_upstream_file_is_refused_and_the_others_still_come(tmp_path):
    bodies = many_files(3)
    with LocalFileServer(files=bodies) as server:
        remotes = [
            download.RemoteFile(name, (server.url(name),), digest=hashlib.sha256(body).hexdigest())
            for name, body in bodies.items()
        ]
        server.files["/page_2.bin"] = b"a new version upstream"
        report = download.fetch_many(remotes, tmp_path, backoff_s=0)
    assert sorted(report.fetched) == ["page_0.bin", "page_1.bin"]
    assert "is recorded for it" in report.failed["page_2.bin"] and not (tmp_path / "page_2.bin").exists()


def test_retries_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="at least 1"):
        download.download(remote("http://127.0.0.1:9/x"), tmp_path, retries=0)


def test_existing_file_is_replaced_only_when_verified(files, tmp_path):
    (tmp_path / "file.bin").write_bytes(b"old")
    with pytest.raises(ChecksumMismatchError):
        download.download(remote(files.url("ok"), digest="f" * 64), tmp_path)
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


def test_fetch_downloads_when_not_local(data_dirs, files):
    raw, _ = data_dirs
    (raw / "toy" / "metadata.toml").write_text(
        f'[[files]]\nfilename = "b.bin"\nurls = ["{files.url("ok")}"]\n'
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
