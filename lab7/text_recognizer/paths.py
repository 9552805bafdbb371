"""Where the course keeps data: found from this file, so every lab copy shares one `data/` folder."""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ARTIFACTS_DIR = PACKAGE_DIR / "artifacts"


def _find_data_dir() -> Path:
    """Return the repository's `data/` folder: the nearest ancestor holding `data/raw`.

    `TEXT_RECOGNIZER_DATA_DIR` overrides the search, for installs outside a checkout.
    """
    override = os.environ.get("TEXT_RECOGNIZER_DATA_DIR")
    if override:
        return Path(override).expanduser().resolve()
    for parent in PACKAGE_DIR.parents:
        if (parent / "data" / "raw").is_dir():
            return parent / "data"
    return PACKAGE_DIR.parent / "data"


DATA_DIR = _find_data_dir()
RAW_DATA_DIR = DATA_DIR / "raw"
PROCESSED_DATA_DIR = DATA_DIR / "processed"
MIRROR_ENV_VAR = "TEXT_RECOGNIZER_MIRROR"


def mirror_dir() -> Path | None:
    """The local folder of raw files by dataset name, if `TEXT_RECOGNIZER_MIRROR` names one."""
    value = os.environ.get(MIRROR_ENV_VAR)
    return Path(value).expanduser().resolve() if value else None
