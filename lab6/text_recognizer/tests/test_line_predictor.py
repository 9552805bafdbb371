"""The committed CTC line model on EMNIST lines generated at test time from real data."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from text_recognizer import paths
from text_recognizer.data.errors import DataError
from text_recognizer.metrics import character_error_rate
from text_recognizer.model_files import read_config
from text_recognizer.predictors.inference import artifact_dir
from text_recognizer.predictors.line_predictor import LinePredictor
from text_recognizer.tests.support import modules_inference_must_not_import


@pytest.fixture(scope="module")
def test_lines():
    """300 test lines with the committed model's generation parameters (its test sentences and images)."""
    from text_recognizer.data.emnist_lines import EmnistLinesDataset

    dataset_args = read_config(artifact_dir("line"))["experiment"]["dataset_args"]
    data = EmnistLinesDataset.held_out(dataset_args, 300)
    try:
        data.setup()
    except (DataError, LookupError) as error:
        pytest.skip(f"golden tests need the real EMNIST and Brown files ({error})")
    return data.split("test")[0], data.texts("test")


def test_line_model_reads_held_out_lines(test_lines):
    images, texts = test_lines
    predictor = LinePredictor()
    predicted = [text for text, _ in predictor.predict_preprocessed(list(images))]
    assert character_error_rate(predicted, texts) <= 0.06
    reframed = [text for text, _ in predictor.predict_batch(list(255 - images[:100]))]
    assert character_error_rate(reframed, texts[:100]) <= 0.12, "inverted, cropped and resized lines"


def test_onnx_runtime_agrees_with_keras(test_lines):
    lines = test_lines[0][:8]
    onnx = LinePredictor(backend="onnxruntime").model(lines)
    keras = LinePredictor(backend="keras").model(lines)
    np.testing.assert_allclose(onnx, keras, atol=1e-4)


def test_cli_reads_lines_and_reports_bad_files(test_lines, tmp_path):
    images, texts = test_lines
    good = tmp_path / "line.png"
    Image.fromarray(255 - images[0]).resize((images[0].shape[1] * 3, 84)).save(good)
    blank = tmp_path / "blank.png"
    Image.new("L", (300, 40), 255).save(blank)
    result = subprocess.run(
        [sys.executable, "-m", "text_recognizer.predict", "--task", "line", "--json", str(good), str(blank)],
        capture_output=True,
        text=True,
        cwd=paths.PACKAGE_DIR.parent,
        check=False,
    )
    assert result.returncode == 1
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert character_error_rate([first["text"]], [texts[0]]) <= 0.2 and 0 <= first["confidence"] <= 1
    assert "blank" in second["error"]


def test_line_inference_imports_no_data_training_or_tensorflow():
    code = (
        "import numpy as np\n"
        "from text_recognizer.predictors.line_predictor import LinePredictor\n"
        "line = np.zeros((40, 300), dtype=np.uint8); line[10:30, 20:280:30] = 255\n"
        "LinePredictor().predict(line)\n"
    )
    assert modules_inference_must_not_import(code) == []
