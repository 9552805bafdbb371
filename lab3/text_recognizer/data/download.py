"""Fetch raw files: local copies first, then the URLs in `data/raw/<name>/metadata.toml`.

Lookup order for a file: `data/raw/<name>/<filename>`, then `$TEXT_RECOGNIZER_MIRROR/<name>/<filename>`,
then each URL in turn. A download streams to a temporary file beside its target, is hashed on the way,
and is renamed into place only once its checksum matches: a failure never leaves a half-written file.
"""

import hashlib
import http.client
import logging
import os
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from text_recognizer import paths
from text_recognizer.data.errors import ChecksumMismatchError, DownloadError, MissingDataError

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20
TRANSIENT_HTTP_CODES = {408, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file: where it lives and the digest it must have."""

    filename: str
    urls: tuple[str, ...]
    algorithm: str
    digest: str


@dataclass(frozen=True)
class DatasetMetadata:
    """The contents of a dataset's metadata.toml."""

    name: str
    files: dict[str, RemoteFile]
    license: str = ""
    citation: str = ""
    extra: dict = field(default_factory=dict)


class _TransientError(Exception):
    """A failure worth retrying: connection reset, timeout, truncated body, 5xx."""


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


def download(
    remote: RemoteFile,
    dest_dir: Path,
    *,
    retries: int = 3,
    backoff_s: float = 1.0,
    timeout_s: float = 60.0,
    progress: bool = True,
) -> Path:
    """Download `remote` into `dest_dir`: each URL in turn, each tried up to `retries` times.

    Transient failures (connection errors, timeouts, truncated bodies, 5xx) are retried with exponential
    backoff; a checksum mismatch moves on to the next URL. If every URL fails, the error lists why.
    `progress=False` hides the file's byte progress bar (for many small files fetched at once).
    """
    if retries < 1:
        raise ValueError(f"retries must be at least 1, got {retries}")
    destination = dest_dir / remote.filename
    destination.parent.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    mismatches: list[ChecksumMismatchError] = []
    for url in remote.urls:
        for attempt in range(1, retries + 1):
            try:
                return _download_once(url, destination, remote, timeout_s, progress)
            except _TransientError as error:
                failures.append(f"{url} (attempt {attempt}): {error}")
                logger.warning("Download failed, %s", failures[-1])
                if attempt < retries:
                    time.sleep(backoff_s * 2 ** (attempt - 1))
            except ChecksumMismatchError as error:
                mismatches.append(error)
                failures.append(f"{url}: checksum mismatch")
                break
            except (urllib.error.URLError, ValueError) as error:
                failures.append(f"{url}: {error}")
                break
    if mismatches:
        raise ChecksumMismatchError("\n".join(str(error) for error in mismatches))
    raise DownloadError(
        f"Could not download {remote.filename}:\n  "
        + "\n  ".join(failures)
        + f"\nCheck your connection, or download it by hand into {dest_dir} "
        f"(or into ${paths.MIRROR_ENV_VAR}/{dest_dir.name}/)."
    )


def _download_once(url: str, destination: Path, remote: RemoteFile, timeout_s: float, progress: bool) -> Path:
    hasher = hashlib.new(remote.algorithm)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    tmp_path = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            received, expected_size = _stream(url, out, hasher, timeout_s, destination.name, progress)
        if expected_size is not None and received != expected_size:
            raise _TransientError(f"truncated: received {received} of {expected_size} bytes")
        actual = hasher.hexdigest()
        if actual != remote.digest:
            raise ChecksumMismatchError(
                f"{destination.name} downloaded from {url} has {remote.algorithm} {actual}, "
                f"but metadata.toml expects {remote.digest}. The download was discarded. "
                "Try again later or another mirror; if the source changed on purpose, update metadata.toml."
            )
        tmp_path.chmod(0o644)
        tmp_path.replace(destination)
        return destination
    finally:
        tmp_path.unlink(missing_ok=True)


def _stream(url: str, out, hasher, timeout_s: float, label: str, progress: bool) -> tuple[int, int | None]:
    """Copy the body at `url` into `out`, updating `hasher`; return bytes received and Content-Length."""
    try:
        response = urllib.request.urlopen(url, timeout=timeout_s)
    except urllib.error.HTTPError as error:
        if error.code in TRANSIENT_HTTP_CODES:
            raise _TransientError(f"HTTP {error.code}") from error
        raise
    except urllib.error.URLError as error:
        if isinstance(error.reason, OSError):
            raise _TransientError(str(error.reason)) from error
        raise
    except (OSError, http.client.HTTPException) as error:
        raise _TransientError(f"connection failed: {error!r}") from error
    with response:
        length = response.headers.get("Content-Length")
        expected_size = int(length) if length is not None else None
        received = 0
        with tqdm(total=expected_size, unit="B", unit_scale=True, desc=label, leave=False, disable=not progress) as bar:
            try:
                for chunk in iter(lambda: response.read(CHUNK_SIZE), b""):
                    out.write(chunk)
                    hasher.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            except (http.client.HTTPException, OSError) as error:
                raise _TransientError(f"connection broke after {received} bytes: {error!r}") from error
    return received, expected_size
