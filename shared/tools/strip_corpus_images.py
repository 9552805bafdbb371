"""Take the images of corpus pages out of executed notebooks before they are committed.

    python -m tools.strip_corpus_images                 # every labN/notebooks/*.ipynb
    python -m tools.strip_corpus_images lab5/notebooks/05-look-at-pages.ipynb

The course may not redistribute images cut from the data it reads (Copiste pages, IAM forms): a notebook
cell that shows them is tagged `corpus-image` (and `nbval-ignore-output`, since its committed output is
then not what it prints). Students see those images when they run the notebook; the repository keeps
only the cell's text outputs. When such a cell shows a widget (a line browser), the images the widget's
outputs hold in the notebook's saved widget state are removed too. `make notebooks` runs this after
executing the notebooks.
"""

import argparse
import sys
from pathlib import Path

import nbformat

from tools.check_notebooks import lab_notebooks

TAG = "corpus-image"
REQUIRED_WITH_IT = "nbval-ignore-output"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def strip(notebook: nbformat.NotebookNode) -> int:
    """Remove image outputs from the cells tagged `corpus-image`; return how many were removed."""
    removed = 0
    for cell in notebook.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type != "code" or TAG not in tags:
            continue
        if REQUIRED_WITH_IT not in tags:
            raise ValueError(f"a cell tagged {TAG!r} must also be tagged {REQUIRED_WITH_IT!r}: {cell.source[:60]!r}")
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            images = [key for key in data if key.startswith("image/")]
            for key in images:
                del data[key]
                removed += 1
            if images and not data:
                continue  # a display of nothing but the image
            kept.append(output)
        cell.outputs = kept
        if any(WIDGET_VIEW in output.get("data", {}) for output in kept):
            removed += _strip_images(notebook.get("metadata", {}).get("widgets", {}))
    return removed


def _strip_images(node) -> int:
    """Delete every `image/*` entry under `node` (saved widget state); return how many."""
    removed = 0
    if isinstance(node, dict):
        for key in [key for key in node if key.startswith("image/")]:
            del node[key]
            removed += 1
        for value in node.values():
            removed += _strip_images(value)
    elif isinstance(node, list):
        for value in node:
            removed += _strip_images(value)
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every lab notebook")
    args = parser.parse_args(argv)
    for path in args.notebooks or lab_notebooks():
        notebook = nbformat.read(path, as_version=4)
        removed = strip(notebook)
        if removed:
            nbformat.write(notebook, path)
            print(f"{path}: {removed} corpus image(s) removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
