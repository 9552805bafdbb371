"""Load test of the prediction service under gunicorn on loopback: throughput, latency, memory, startup.

    python -m evaluation.load_test_api                      # starts gunicorn itself, 5,000 requests per run
    python -m evaluation.load_test_api --url http://127.0.0.1:8000 --requests 1000
    python -m evaluation.load_test_api --plot load_test.png    # also plot throughput and latency

For the character, line, handwriting and paragraph tasks, at concurrency 1, 8 and 32, sends real held-out
images (EMNIST characters, EMNIST lines, Copiste lines and whole pages of writers the models never saw) as
base64 JSON over keep-alive connections and reports requests/s, p50 and p99 latency and errors (whole
pages: at most `PAGE_REQUESTS` per run); then the resident memory of the server's processes, and how long it took from
launch to the first answer of /health. Client and server share this machine's cores, so the numbers
are a lower bound on what the server alone can do.
"""

import argparse
import base64
import io
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

from api.launch import start_server, stop_server
from evaluation.http_client import Connection, HttpRequest, health_problem
from text_recognizer.data.errors import DataError
from text_recognizer.model_files import read_config
from text_recognizer.predictors.inference import artifact_dir

TASKS = ("character", "line", "handwriting", "paragraph")
CONCURRENCIES = (1, 8, 32)
SAMPLES = 64  # distinct images per task, cycled through
PAGE_REQUESTS = 100  # at most this many per run for whole pages (each is a detector run and ~20 lines)


def png_data_url(ink_on_black: np.ndarray, scale: int = 2) -> str:
    """A held-out image as a photographed scan would arrive: dark on light, enlarged, PNG, base64."""
    image = Image.fromarray(255 - ink_on_black)
    image = image.resize((image.width * scale, image.height * scale), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def payloads(task: str) -> list[bytes]:
    """JSON bodies for `task` from the held-out test split of its dataset."""
    if task == "paragraph":  # the page photos as they are on disk (JPEG)
        from text_recognizer.data import copiste

        pages = copiste.split_pages(copiste.corpus_dir())["test"][:SAMPLES]
        return [
            json.dumps(
                {
                    "image": "data:image/jpeg;base64," + base64.b64encode(page.page_image.read_bytes()).decode(),
                    "task": task,
                }
            ).encode()
            for page in pages
        ]
    if task == "character":
        from text_recognizer.data.emnist import EmnistDataset

        data = EmnistDataset(raw=True)  # as published: the service frames them as it would a photo
        data.setup()
        images = data.split("test")[0]
    elif task == "handwriting":
        from text_recognizer.data.handwriting_lines import HandwritingLines

        data = HandwritingLines(height=read_config(artifact_dir("handwriting"))["input_shape"][0])
        data.setup()
        images = data.split("test")[0]
    else:
        from text_recognizer.data.emnist_lines import EmnistLinesDataset

        dataset_args = read_config(artifact_dir("line"))["experiment"]["dataset_args"]
        data = EmnistLinesDataset.held_out(dataset_args, SAMPLES)
        data.setup()
        images = data.split("test")[0]
    step = max(1, len(images) // SAMPLES)
    return [json.dumps({"image": png_data_url(image), "task": task}).encode() for image in images[::step][:SAMPLES]]


def run(url: str, bodies: list[bytes], concurrency: int, total: int) -> dict[str, float]:
    """Send `total` requests from `concurrency` threads, each on its own keep-alive connection."""
    latencies: list[float] = []
    errors = [0]
    counter = iter(range(total))
    lock = threading.Lock()

    def worker() -> None:
        connection = Connection(url)
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                break
            request = HttpRequest(
                "POST", "/v1/predict", bodies[index % len(bodies)], (("Content-Type", "application/json"),)
            )
            status, _, seconds = connection.send(request)
            with lock:
                latencies.append(seconds)
                errors[0] += status != 200
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    milliseconds = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(milliseconds, 50)), 2),
        "p99_ms": round(float(np.percentile(milliseconds, 99)), 2),
    }


def memory_mb(pid: int) -> dict[str, float]:
    """Resident (RSS) and proportional (PSS, shared pages split) memory of a process and its children."""
    pids = [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    totals = {"rss_mb": 0.0, "pss_mb": 0.0}
    for process in pids:
        for line in Path(f"/proc/{process}/smaps_rollup").read_text().splitlines():
            field, *value = line.split()
            if field in ("Rss:", "Pss:"):
                totals[f"{field[:-1].lower()}_mb"] += int(value[0]) / 1024
    return {"processes": len(pids), **{key: round(value, 1) for key, value in totals.items()}}


def plot(runs: list[dict], path: Path) -> None:
    """Requests/s and p50/p99 latency against concurrency, one line per task."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (throughput, latency) = plt.subplots(1, 2, figsize=(10, 4))
    for task in dict.fromkeys(run_["task"] for run_ in runs):
        mine = [run_ for run_ in runs if run_["task"] == task]
        levels = [run_["concurrency"] for run_ in mine]
        throughput.plot(levels, [run_["requests_per_s"] for run_ in mine], marker="o", label=task)
        line = latency.plot(levels, [run_["p99_ms"] for run_ in mine], marker="o", label=f"{task} p99")[0]
        latency.plot(
            levels,
            [run_["p50_ms"] for run_ in mine],
            marker="s",
            linestyle="--",
            color=line.get_color(),
            label=f"{task} p50",
        )
    for axis in (throughput, latency):
        axis.set_xscale("log", base=2)
        axis.set_xticks(
            sorted({run_["concurrency"] for run_ in runs}),
            labels=sorted({str(r["concurrency"]) for r in runs}, key=int),
        )
        axis.set_xlabel("concurrent clients")
        axis.grid(alpha=0.3)
        axis.legend()
    throughput.set_ylabel("requests / s")
    latency.set_ylabel("latency (ms)")
    figure.suptitle("Prediction service under gunicorn on loopback (client and server share the cores)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    print(f"plot written to {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server to test; by default gunicorn is started on loopback")
    parser.add_argument("--requests", type=int, default=5000, help="requests per task and concurrency")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    parser.add_argument("--concurrency", nargs="+", type=int, default=list(CONCURRENCIES))
    parser.add_argument("--output", type=Path, help="also write the results as JSON here")
    parser.add_argument("--plot", type=Path, help="also plot throughput and latency by concurrency to this image")
    args = parser.parse_args(argv)

    problem = health_problem(args.url) if args.url else None
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        bodies = {task: payloads(task) for task in args.tasks}
    except DataError as error:
        print(f"error: the load test sends held-out images from the datasets: {error}", file=sys.stderr)
        return 2
    process, results = None, {"runs": []}
    url = args.url
    if url is None:
        started = time.perf_counter()
        process, url = start_server(sys.executable, Path(tempfile.mkdtemp()) / "server.log")
        results["startup_s"] = round(time.perf_counter() - started, 2)
        print(f"gunicorn answered /health {results['startup_s']} s after launch")
    try:
        for task in args.tasks:
            run(url, bodies[task], 4, 200 if task != "paragraph" else 8)  # warm-up: each thread ran each model
            requests = min(args.requests, PAGE_REQUESTS) if task == "paragraph" else args.requests
            for concurrency in args.concurrency:
                outcome = {
                    "task": task,
                    "concurrency": concurrency,
                    **run(url, bodies[task], concurrency, requests),
                }
                results["runs"].append(outcome)
                print(
                    f"{task:>9}  concurrency {concurrency:>2}: {outcome['requests_per_s']:>7.1f} req/s  "
                    f"p50 {outcome['p50_ms']:>6.2f} ms  p99 {outcome['p99_ms']:>6.2f} ms  "
                    f"errors {outcome['errors']}/{outcome['requests']}"
                )
        if process is not None:
            results["memory"] = memory_mb(process.pid)
            memory = results["memory"]
            print(
                f"server memory ({memory['processes']} processes): RSS {memory['rss_mb']} MB, PSS {memory['pss_mb']} MB"
            )
    finally:
        if process is not None:
            stop_server(process)
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")
    if args.plot:
        plot(results["runs"], args.plot)
    print(json.dumps(results))
    return 1 if any(run_["errors"] for run_ in results["runs"]) else 0


if __name__ == "__main__":
    sys.exit(main())
