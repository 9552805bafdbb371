"""How fast does an export's ingest fetch its pages, and does a killed one resume with only what is missing?

    python -m evaluation.benchmark_labeled_download [--latency-ms 50] [--repeats 3]

Serves the sample export's page images (Copiste pages from the mirror) from a local HTTP server that waits
`--latency-ms` before each answer, as a distant server does, and ingests the export with the URLs
pointed at it: with 1 worker, then with 8 (fresh folders each time; the median of `--repeats`). The
throughput is that of the download phase (fetch, hash, check each image, record the manifest); the whole
ingest's time, which adds reading the export and the pages, is shown beside it. Then it
starts the ingest in a child process with 1 worker, kills it (SIGKILL) about halfway, runs it again, and
counts what the server was asked for the second time.
"""

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evaluation.local_file_server import LocalFileServer
from text_recognizer import paths
from text_recognizer.data import labeled_pages
from text_recognizer.data.label_studio import read_export

SPEEDUP_GOAL = 4.0


def local_export(source: Path, base_url: str, destination: Path) -> Path:
    """The export with each image URL pointed at the local server (same file names)."""
    tasks = json.loads(source.read_text(encoding="utf-8"))
    for task in tasks:
        task["data"]["image"] = f"{base_url}/{task['data']['image'].rsplit('/', 1)[1]}"
    destination.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return destination


def timed_ingest(export: Path, dest: Path, workers: int) -> tuple[float, labeled_pages.IngestReport]:
    """The whole ingest's seconds, and its report (which holds the download phase's seconds)."""
    started = time.perf_counter()
    report = labeled_pages.ingest(export, dest, workers=workers)
    return time.perf_counter() - started, report


def kill_and_resume(export: Path, dest: Path, server: LocalFileServer, pages: int) -> None:
    command = [sys.executable, "-m", "text_recognizer.data.labeled_pages", "--export", str(export)]
    child = subprocess.Popen([*command, "--dest", str(dest), "--workers", "1"], stderr=subprocess.DEVNULL)
    images = dest / labeled_pages.IMAGES
    while child.poll() is None and len(list(images.glob("*.jpg"))) < pages // 2:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    landed = len(list(images.glob("*.jpg")))
    server.hits.clear()
    report = labeled_pages.ingest(export, dest, workers=8)
    asked = sum(server.hits.values())
    manifest = labeled_pages.read_manifest(dest / labeled_pages.MANIFEST)
    print(
        f"killed after {landed} of {pages} pages had landed; the rerun asked the server for {asked} files "
        f"({report.fetched} fetched, {report.reused} kept); manifest: {len(manifest)} pages with sha256; "
        f"{len(report.pages)} pages ingested, {len(report.failed)} failed"
    )
    ok = asked == pages - landed and len(manifest) == pages and not report.failed
    print(f"resumes with only what is missing: {'yes' if ok else 'NO'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    mirror = paths.mirror_dir()
    if mirror is None or not (mirror / "copiste" / "jpg").is_dir():
        sys.exit(f"Needs the Copiste pages: set {paths.MIRROR_ENV_VAR} to a folder holding copiste/jpg/.")
    source = paths.RAW_DATA_DIR / labeled_pages.SAMPLE / "label_studio_export.json"
    sample = read_export(source)
    pages = len(sample.tasks)
    print(f"sample export: {pages} pages, {sample.region_count} line regions; server latency {args.latency_ms:.0f} ms")
    with (
        LocalFileServer(root=mirror / "copiste" / "jpg", latency_s=args.latency_ms / 1000) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        export = local_export(source, server.base_url, Path(tmp) / "export.json")
        seconds, whole = {}, {}
        for workers in (1, 8):
            runs = [timed_ingest(export, Path(tmp) / f"w{workers}-{i}", workers) for i in range(args.repeats)]
            incomplete = [report for _, report in runs if report.fetched != pages or report.failed]
            if incomplete:
                raise RuntimeError(
                    f"with {workers} workers, an ingest fetched {incomplete[0].fetched} of {pages} pages "
                    f"({len(incomplete[0].failed)} failed): the timings need every page fetched, check the mirror"
                )
            seconds[workers] = statistics.median(report.download_s for _, report in runs)
            whole[workers] = statistics.median(elapsed for elapsed, _ in runs)
            megabytes = sum(f.stat().st_size for f in (Path(tmp) / f"w{workers}-0" / "images").iterdir()) / 1e6
            print(
                f"{workers} worker(s): downloads {seconds[workers]:.2f} s, median of {args.repeats} "
                f"({pages / seconds[workers]:.1f} pages/s, {megabytes / seconds[workers]:.1f} MB/s); "
                f"whole ingest {whole[workers]:.2f} s"
            )
        speedup = seconds[1] / seconds[8]
        print(
            f"8 workers vs 1: {speedup:.1f}x the download throughput (goal >= {SPEEDUP_GOAL:.0f}x); "
            f"whole ingest {whole[1] / whole[8]:.1f}x"
        )
        kill_and_resume(export, Path(tmp) / "killed", server, pages)
    return 0 if speedup >= SPEEDUP_GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
