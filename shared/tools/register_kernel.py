"""Register the Jupyter kernel `text-recognizer` for this virtual environment.

TensorFlow's C++ runtime writes log lines straight to the process's stderr. By default ipykernel copies
that output into the notebook, with timestamps, which breaks nbval's comparison of outputs. The kernel is
therefore started with `capture_fd_output` off (those lines go to the terminal instead) and with
`TF_CPP_MIN_LOG_LEVEL=2`.
"""

import json
import subprocess
import sys
from pathlib import Path

NAME = "text-recognizer"
DISPLAY_NAME = "Python 3 (text-recognizer)"


def main() -> int:
    subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", NAME, "--display-name", DISPLAY_NAME],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    spec_path = Path(sys.prefix) / "share" / "jupyter" / "kernels" / NAME / "kernel.json"
    spec = json.loads(spec_path.read_text())
    if "--IPKernelApp.capture_fd_output=False" not in spec["argv"]:
        spec["argv"].append("--IPKernelApp.capture_fd_output=False")
    spec["env"] = {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
    spec_path.write_text(json.dumps(spec, indent=1) + "\n")
    print(f"Jupyter kernel {NAME!r} registered in {spec_path.parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
