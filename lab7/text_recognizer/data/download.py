"""Fetch raw files: local copies first, then the URLs in `data/raw/<name>/metadata.toml`.

Lookup order for a file: `data/raw/<name>/<filename>`, then `$TEXT_RECOGNIZER_MIRROR/<name>/<filename>`,
then each URL in turn. A download streams to a temporary file beside its target, is hashed on the way,
and is renamed into place only once its checksum matches: a failure never leaves a half-written file.
`fetch_many` downloads many files at once (a thread pool, one progress bar), reusing those already there.

HTTP is requests with urllib3's retries: connection failures, 429 and 5xx answers are retried with
exponential backoff (honouring Retry-After); a body cut short is retried here. A 404, or an HTML page
where a data file was expected (a login wall, an error page), moves on to the next URL at once.
"""

import hashlib
import logging
import os
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from tqdm.auto import tqdm
from urllib3.util.retry import Retry

from text_recognizer import paths
from text_recognizer.data.errors import (
    ChecksumMismatchError,
    DataError,
    DataFormatError,
    DownloadError,
    MissingDataError,
)

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20
USER_AGENT = "text-recognizer-course (python-requests)"
TRANSIENT_HTTP_CODES = {408, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file: where it lives and the digest it must have."""

    filename: str  # relative to the destination folder; may hold sub-folders
    urls: tuple[str, ...]
    algorithm: str = "sha256"
    digest: str | None = None  # None: not known yet (a new file); the download's digest is reported


@dataclass(frozen=True)
class DatasetMetadata:
    """The contents of a dataset's metadata.toml."""

    name: str
    files: dict[str, RemoteFile]
    license: str = ""
    citation: str = ""
    extra: dict = field(default_factory=dict)


class _TransientError(Exception):
    """A failure worth retrying: a connection broken in the middle of the body, a truncated body."""


def load_metadata(name: str, raw_dir: Path | None = None) -> DatasetMetadata:
    """Parse `data/raw/<name>/metadata.toml`."""
    path = (raw_dir or paths.RAW_DATA_DIR) / name / "metadata.toml"
    if not path.exists():
        raise MissingDataError(f"{path} is missing: every dataset needs one (see data/README.md).")
    with path.open("rb") as f:
        content = tomllib.load(f)
    files = {
        entry["filename"]: RemoteFile(
            filename=entry["filename"],
            urls=tuple(entry["urls"]),
            algorithm=entry["checksum"]["algorithm"],
            digest=entry["checksum"]["digest"].lower(),
        )
        for entry in content.get("files", [])
    }
    extra = {key: value for key, value in content.items() if key not in {"name", "files", "license", "citation"}}
    return DatasetMetadata(
        name=content.get("name", name),
        files=files,
        license=content.get("license", ""),
        citation=content.get("citation", ""),
        extra=extra,
    )


def local_candidates(name: str, filename: str) -> list[Path]:
    """Where a raw file may already be, in the order they are searched."""
    candidates = [paths.RAW_DATA_DIR / name / filename]
    mirror = paths.mirror_dir()
    if mirror is not None:
        candidates.append(mirror / name / filename)
    return candidates


def find_local(name: str, filename: str) -> Path | None:
    """The first existing local copy of a raw file, or None."""
    return next((path for path in local_candidates(name, filename) if path.is_file()), None)


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in chunks."""
    hasher = hashlib.new(algorithm)
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_SIZE), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def fetch(name: str, filename: str, *, retries: int = 3, backoff_s: float = 1.0, timeout_s: float = 60.0) -> Path:
    """Return a local path to a raw file of dataset `name`, downloading it if no local copy exists."""
    local = find_local(name, filename)
    if local is not None:
        logger.info("Using local %s", local)
        return local
    metadata = load_metadata(name)
    if filename not in metadata.files:
        searched = ", ".join(str(path) for path in local_candidates(name, filename))
        raise MissingDataError(
            f"{filename} of dataset '{name}' was not found (searched {searched}) and metadata.toml "
            f"gives no URL for it. Place the file in {paths.RAW_DATA_DIR / name} or set "
            f"{paths.MIRROR_ENV_VAR} to a folder holding {name}/{filename}."
        )
    return download(
        metadata.files[filename], paths.RAW_DATA_DIR / name, retries=retries, backoff_s=backoff_s, timeout_s=timeout_s
    )


def http_session(retries: int = 3, backoff_s: float = 1.0, pool_size: int = 10) -> requests.Session:
    """A session whose requests retry connection failures, 429 and 5xx answers with exponential backoff."""
    retry = Retry(
        total=retries - 1,
        backoff_factor=backoff_s,
        status_forcelist=sorted(TRANSIENT_HTTP_CODES),
        allowed_methods={"GET"},
        raise_on_status=False,  # the last 5xx answer is returned, and reported with its status
    )
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def download(
    remote: RemoteFile,
    dest_dir: Path,
    *,
    retries: int = 3,
    backoff_s: float = 1.0,
    timeout_s: float = 60.0,
    progress: bool = True,
    session: requests.Session | None = None,
    validate: Callable[[Path], None] | None = None,
) -> Path:
    """Download `remote` into `dest_dir`: each URL in turn, each tried up to `retries` times.

    Transient failures (connection errors, timeouts, 429 and 5xx by urllib3; bodies cut short here) are
    retried with exponential backoff; a checksum mismatch, a 404 or an HTML page moves on to the next URL.
    `validate`, if given, checks the downloaded file before it is renamed into place and raises
    `DataFormatError` to reject it. If every URL fails, the error lists why. `progress=False` hides the byte
    progress bar (for many small files).
    """
    if retries < 1:
        raise ValueError(f"retries must be at least 1, got {retries}")
    session = session or http_session(retries, backoff_s)
    destination = dest_dir / remote.filename
    destination.parent.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    mismatches: list[ChecksumMismatchError] = []
    for url in remote.urls:
        for attempt in range(1, retries + 1):
            try:
                return _download_once(session, url, destination, remote, timeout_s, progress, validate)
            except _TransientError as error:
                failures.append(f"{url} (attempt {attempt}): {error}")
                logger.warning("Download failed, %s", failures[-1])
                if attempt < retries:
                    time.sleep(backoff_s * 2 ** (attempt - 1))
            except ChecksumMismatchError as error:
                mismatches.append(error)
                failures.append(f"{url}: checksum mismatch")
                break
            except (DownloadError, DataFormatError, requests.RequestException, ValueError) as error:
                failures.append(f"{url}: {error}")
                break
    if mismatches:
        raise ChecksumMismatchError("\n".join(str(error) for error in mismatches))
    raise DownloadError(
        f"Could not download {remote.filename}:\n  "
        + "\n  ".join(failures)
        + f"\nCheck your connection, or download it by hand into {destination.parent}."
    )


def _download_once(
    session: requests.Session,
    url: str,
    destination: Path,
    remote: RemoteFile,
    timeout_s: float,
    progress: bool,
    validate: Callable[[Path], None] | None,
) -> Path:
    hasher = hashlib.new(remote.algorithm)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    tmp_path = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            _stream(session, url, out, hasher, timeout_s, destination.name, progress)
        actual = hasher.hexdigest()
        if remote.digest is not None and actual != remote.digest:
            raise ChecksumMismatchError(
                f"{destination.name} downloaded from {url} has {remote.algorithm} {actual}, but "
                f"{remote.digest} is recorded for it. The download was discarded. If the source changed on "
                "purpose, record the new checksum (metadata.toml, or the dataset's manifest); otherwise try "
                "again later or another mirror."
            )
        if validate is not None:
            validate(tmp_path)
        tmp_path.chmod(0o644)
        tmp_path.replace(destination)
        return destination
    finally:
        tmp_path.unlink(missing_ok=True)


def _stream(session: requests.Session, url: str, out, hasher, timeout_s: float, label: str, progress: bool) -> None:
    """Copy the body at `url` into `out`, updating `hasher`."""
    try:
        response = session.get(url, stream=True, timeout=timeout_s)
    except (requests.ConnectionError, requests.Timeout) as error:  # after urllib3's retries
        raise DownloadError(f"connection failed: {error}") from error
    with response:
        if response.status_code >= 400:
            raise DownloadError(f"HTTP {response.status_code} {response.reason}")
        content_type = response.headers.get("Content-Type", "")
        if content_type.startswith("text/html") and not label.lower().endswith((".html", ".htm")):
            raise DataFormatError(
                f"the server answered with an HTML page ({content_type}), not the file: a login or error page?"
            )
        length = response.headers.get("Content-Length")
        received = 0
        total = int(length) if length is not None else None
        with tqdm(total=total, unit="B", unit_scale=True, desc=label, leave=False, disable=not progress) as bar:
            try:
                for chunk in response.iter_content(CHUNK_SIZE):
                    out.write(chunk)
                    hasher.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            except (requests.RequestException, OSError) as error:
                raise _TransientError(f"connection broke after {received} bytes: {error}") from error


@dataclass
class FetchReport:
    """What `fetch_many` did: sha256 of each file it fetched or found verified, and why the others failed."""

    fetched: dict[str, str] = field(default_factory=dict)
    reused: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def digests(self) -> dict[str, str]:
        return {**self.reused, **self.fetched}


def fetch_many(
    remotes: Iterable[RemoteFile],
    dest_dir: Path,
    *,
    workers: int = 8,
    retries: int = 3,
    backoff_s: float = 1.0,
    timeout_s: float = 60.0,
    validate: Callable[[Path], None] | None = None,
    on_done: Callable[[str, str], None] | None = None,
    desc: str = "downloading",
) -> FetchReport:
    """Fetch every file into `dest_dir`, `workers` at a time, and report; one file's failure stops no other.

    A file already in `dest_dir` is not fetched again when its digest matches (or, with no digest recorded
    yet, since a download is renamed into place only when complete): an interrupted run resumes where it
    stopped. `on_done(filename, sha256)` is called, in this thread, as each file is fetched or reused.
    """
    report = FetchReport()
    missing = []
    for remote in remotes:
        path = dest_dir / remote.filename
        digest = file_digest(path, remote.algorithm) if path.is_file() else None
        if digest is not None and remote.digest in (None, digest):
            report.reused[remote.filename] = digest
            if on_done:
                on_done(remote.filename, digest)
        else:
            missing.append(remote)
    sessions = threading.local()

    def fetch_one(remote: RemoteFile) -> str:
        if not hasattr(sessions, "session"):
            sessions.session = http_session(retries, backoff_s)
        path = download(
            remote,
            dest_dir,
            retries=retries,
            backoff_s=backoff_s,
            timeout_s=timeout_s,
            progress=False,
            session=sessions.session,
            validate=validate,
        )
        return file_digest(path, remote.algorithm)

    with ThreadPoolExecutor(max(1, workers)) as pool:
        jobs = {pool.submit(fetch_one, remote): remote.filename for remote in missing}
        label = f"{desc} ({len(report.reused)} already here)"
        with tqdm(total=len(jobs), desc=label, unit="file", disable=not jobs) as bar:
            for job in as_completed(jobs):
                filename = jobs[job]
                try:
                    report.fetched[filename] = job.result()
                except DataError as error:
                    report.failed[filename] = str(error)
                    logger.warning("%s: %s", filename, error)
                else:
                    if on_done:
                        on_done(filename, report.fetched[filename])
                bar.update()
    return report
