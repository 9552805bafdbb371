"""The handwriting recipe's data options: weighted sources and experiment config files."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from training.handwriting_data import weighted
from training.train_handwriting import parse_args


def test_a_weight_repeats_whole_copies_then_a_seeded_share():
    items = list(range(10))
    assert weighted(items, 1.0, np.random.default_rng(0)) == items
    assert weighted(items, 0.0, np.random.default_rng(0)) == []
    twice_and_a_half = weighted(items, 2.5, np.random.default_rng(0))
    assert len(twice_and_a_half) == 25 and twice_and_a_half[:20] == items * 2
    assert len(set(twice_and_a_half[20:])) == 5
    assert twice_and_a_half == weighted(items, 2.5, np.random.default_rng(0))


def test_a_config_file_sets_the_options_and_flags_win(tmp_path):
    config = tmp_path / "experiment.json"
    config.write_text(json.dumps({"description": "a test", "epochs": 3, "filters": 8, "sources": {"copiste": 0.5}}))
    args = parse_args(["--config", str(config), "--epochs", "7"])
    assert (args.epochs, args.filters, args.sources, args.height) == (7, 8, {"copiste": 0.5}, 48)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"epoch": 3}, "unknown keys \\['epoch'\\]"),
        ({"sources": {"nowhere": 1.0}}, "names among"),
        ("{", "cannot read"),
    ],
)
def test_a_wrong_config_is_refused_with_what_is_wrong(tmp_path, content, message):
    config = tmp_path / "experiment.json"
    config.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(SystemExit, match=message):
        parse_args(["--config", str(config)])


def test_frames_per_step_other_than_one_or_two_is_refused_before_any_work(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--frames-per-step", "3"])
    assert "invalid choice: 3" in capsys.readouterr().err


def test_the_run_records_the_command_that_made_it():
    assert parse_args(["--epochs", "3", "--subsample", "0.1"]).command == (
        "python -m training.train_handwriting --epochs 3 --subsample 0.1"
    )


def saved_model_files(directory: Path, network: str = "handwriting_cnn_bilstm_ctc", weights: bytes = b"w") -> Path:
    """A model folder as --save writes it, with stand-in weights (these checks read the config and checksum)."""
    (directory / "model.weights.h5").write_bytes(weights)
    config = {
        "network": network,
        "network_args": {"filters": 16, "lstm_units": 128},  # written before frames_per_step existed
        "input_shape": [48, None],
        "mapping": ["<B>", "a"],
        "sha256": {"model.weights.h5": hashlib.sha256(b"w").hexdigest()},
    }
    (directory / "config.json").write_text(json.dumps(config))
    return directory


def test_a_starting_model_that_is_not_there_or_not_this_network_is_refused_before_any_work(tmp_path):
    with pytest.raises(SystemExit, match="no saved model there"):
        parse_args(["--init-from", str(tmp_path)])
    with pytest.raises(SystemExit, match="holds a lenet"):
        parse_args(["--init-from", str(saved_model_files(tmp_path, network="lenet"))])


def test_a_starting_model_with_corrupt_weights_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="has sha256"):
        parse_args(["--init-from", str(saved_model_files(tmp_path, weights=b"truncated"))])


def test_a_starting_model_of_other_shapes_is_refused_with_the_options_it_needs(tmp_path):
    directory = str(saved_model_files(tmp_path))
    assert parse_args(["--init-from", directory]).init_from == Path(directory)  # control: the same shapes
    with pytest.raises(SystemExit, match="train on with --height 48, --frames-per-step 1"):
        parse_args(["--init-from", directory, "--height", "64", "--frames-per-step", "2"])


def test_frames_per_step_from_a_config_file_is_checked_too(tmp_path):
    config = tmp_path / "experiment.json"
    config.write_text(json.dumps({"frames_per_step": 3}))
    with pytest.raises(SystemExit, match="must be 1 or 2, got 3"):
        parse_args(["--config", str(config)])


def test_the_committed_handwriting_configs_are_valid():
    configs = sorted((Path(__file__).parents[1] / "experiments" / "handwriting").glob("*.json"))
    assert configs
    for path in configs:
        assert parse_args(["--config", str(path)]).sources


