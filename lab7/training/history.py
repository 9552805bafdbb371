"""Record and plot a training run's history."""

import json
from pathlib import Path


def write_run(run_dir: Path, history: dict[str, list[float]], metrics: dict, title: str) -> None:
    """A finished run's history, learning curves and metrics in `run_dir`; the metrics printed."""
    write_history(history, run_dir / "history.json")
    plot_learning_curves(history, run_dir / "learning_curves.png", title=title)
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps(metrics, indent=2))
    print(f"Run written to {run_dir}")


def write_history(history: dict[str, list[float]], path: Path) -> None:
    path.write_text(json.dumps({k: [float(v) for v in values] for k, values in history.items()}, indent=2) + "\n")


def plot_learning_curves(history: dict[str, list[float]], path: Path | None = None, title: str = ""):
    """Loss and every metric per epoch, train and validation side by side; saved if `path` is given."""
    if path is None:
        import matplotlib.pyplot as plt

        figure = plt.figure(figsize=(5 * len(_metric_names(history)), 3.5))
    else:  # draw off-screen without switching the process's backend (notebooks keep theirs)
        from matplotlib.figure import Figure

        figure = Figure(figsize=(5 * len(_metric_names(history)), 3.5))

    names = _metric_names(history)
    axes = figure.subplots(1, len(names), squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        epochs = range(1, len(history[name]) + 1)
        axis.plot(epochs, history[name], marker="o", label="train")
        if f"val_{name}" in history:
            axis.plot(epochs, history[f"val_{name}"], marker="o", label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(name)
        axis.legend()
    figure.suptitle(title)
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, dpi=100)
    return figure


def _metric_names(history: dict[str, list[float]]) -> list[str]:
    return [k for k in history if not k.startswith("val_") and k != "learning_rate"]
