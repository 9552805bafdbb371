"""The handwriting model: its codec, a CTC loss over each line's own frames, and its saved artifact."""

import numpy as np
import pytest

from text_recognizer.models.handwriting_model import BLANK, HandwritingModel, build_codec, ctc_loss, ctc_targets, encode
from text_recognizer.predictors.handwriting_predictor import HandwritingPredictor

HEIGHT = 16
TEXTS = ["Été à Noël", "ça va ?"]


def test_codec_round_trip_and_blank_first():
    mapping = build_codec(TEXTS)
    assert mapping[0] == BLANK and "é" in mapping and len(set(mapping)) == len(mapping)
    for text in TEXTS:
        assert "".join(mapping[i] for i in encode(text, mapping)) == text


def test_characters_outside_the_codec_are_an_error():
    with pytest.raises(ValueError, match="not in the codec"):
        encode("Ωmega", build_codec(TEXTS))


def test_ctc_loss_counts_only_a_lines_own_frames():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(1, 10, 4)).astype(np.float32)
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    labels = np.array([[1, 2, -1]])
    alone = ctc_loss(ctc_targets(np.array([6]), labels), probabilities[:, :6]).numpy()
    padded = ctc_loss(ctc_targets(np.array([6]), labels), probabilities).numpy()
    whole = ctc_loss(ctc_targets(np.array([10]), labels), probabilities).numpy()
    assert padded == pytest.approx(alone, rel=1e-5)
    assert whole != pytest.approx(alone, rel=1e-3)  # control: the frame count is what makes the difference


@pytest.fixture(scope="module", params=[1, 2], ids=["one frame per step", "two frames per step"])
def saved_model(tmp_path_factory, request):
    import keras

    keras.utils.set_random_seed(0)
    network_args = {"filters": 4, "lstm_units": 8, "frames_per_step": request.param}
    model = HandwritingModel("handwriting_cnn_bilstm_ctc", (HEIGHT, None), build_codec(TEXTS), network_args)
    model.network.compile(optimizer="adam")  # as after training: the optimizer has state of its own
    model.network.optimizer.build(model.network.trainable_variables)
    return model, model.save(tmp_path_factory.mktemp("models") / "handwriting")


def test_the_artifact_carries_codec_and_frame_width(saved_model):
    model, directory = saved_model
    predictor = HandwritingPredictor(directory)
    assert predictor.mapping == model.mapping and predictor.blank_index == 0
    assert predictor.frame_width == model.frame_width == 4


def test_onnx_runtime_agrees_with_keras_and_batches_do_not_matter(saved_model):
    _, directory = saved_model
    rng = np.random.default_rng(1)
    lines = [rng.integers(0, 256, (HEIGHT, width), dtype=np.uint8) for width in (37, 200, 90)]
    onnx = HandwritingPredictor(directory, backend="onnxruntime").probabilities(lines)
    keras_out = HandwritingPredictor(directory, backend="keras").probabilities(lines)
    alone = HandwritingPredictor(directory).probabilities(lines[:1])
    for a, b in zip(onnx, keras_out, strict=True):
        assert a.shape == b.shape and np.abs(a - b).max() < 1e-4
    assert np.abs(alone[0] - onnx[0]).max() < 1e-5
    assert [len(p) for p in onnx] == [37 // 4, 200 // 4, 90 // 4]


def test_the_weights_file_holds_no_optimizer_state(saved_model):
    import h5py

    _, directory = saved_model
    with h5py.File(directory / "model.weights.h5") as weights:
        assert "optimizer" not in weights and len(weights["layers"]) > 5


def test_training_can_start_from_a_saved_model(saved_model):
    model, directory = saved_model
    fresh = HandwritingModel(model.network_name, model.input_shape, model.mapping, model.network_args)
    assert not np.array_equal(fresh.network.get_weights()[0], model.network.get_weights()[0])  # another draw
    fresh.start_from(directory)
    for taken, saved in zip(fresh.network.get_weights(), model.network.get_weights(), strict=True):
        np.testing.assert_array_equal(taken, saved)


def test_a_saved_model_with_another_codec_or_shape_is_refused(saved_model):
    model, directory = saved_model
    other_codec = HandwritingModel(model.network_name, model.input_shape, build_codec(["xyz"]), model.network_args)
    with pytest.raises(ValueError, match="train from scratch"):
        other_codec.start_from(directory)
    wider = HandwritingModel(model.network_name, model.input_shape, model.mapping, {**model.network_args, "filters": 8})
    with pytest.raises(ValueError):
        wider.start_from(directory)


def test_the_lstms_are_exported_as_onnx_lstm_operators(saved_model):
    import onnx

    _, directory = saved_model
    operators = [node.op_type for node in onnx.load(str(directory / "model.onnx")).graph.node]
    assert operators.count("LSTM") == 2 and "Loop" not in operators and "Scan" not in operators


def test_a_head_the_exporter_cannot_write_is_refused(tmp_path):
    import keras

    from text_recognizer.models.onnx_recurrent import export_with_onnx_lstms

    image = keras.Input((8, None), dtype="uint8", name="image")
    width = keras.Input((), dtype="int32", name="width")
    frames = keras.layers.Reshape((-1, 8))(keras.layers.Rescaling(1 / 255)(image))
    gru = keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True))(frames)
    network = keras.Model([image, width], keras.layers.Dense(3, activation="softmax")(gru))
    with pytest.raises(ValueError, match="only concatenated LSTMs"):
        export_with_onnx_lstms(network, tmp_path / "model.onnx", [], 1)
    assert not (tmp_path / "model.onnx").exists()


def test_a_head_without_a_softmax_is_refused(tmp_path):
    import keras

    from text_recognizer.models.onnx_recurrent import export_with_onnx_lstms

    image = keras.Input((8, None), dtype="uint8", name="image")
    width = keras.Input((), dtype="int32", name="width")
    frames = keras.layers.Reshape((-1, 8))(keras.layers.Rescaling(1 / 255)(image))
    lstm = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))(frames)
    network = keras.Model([image, width], keras.layers.Dense(3)(lstm))  # scores, not probabilities
    with pytest.raises(ValueError, match="must be a softmax Dense"):
        export_with_onnx_lstms(network, tmp_path / "model.onnx", [], 1)


def test_an_export_that_differs_from_keras_is_not_written(tmp_path):
    import keras
    import tensorflow as tf

    from text_recognizer.models.onnx_recurrent import export_with_onnx_lstms

    image = keras.Input((8, None), dtype="uint8", name="image")
    width = keras.Input((), dtype="int32", name="width")
    frames = keras.layers.Reshape((-1, 8))(keras.layers.Rescaling(1 / 255)(image))
    lstm = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))(frames)
    doubled = keras.layers.Rescaling(2.0)(lstm)  # no weights, but it changes values: the exporter skips it
    network = keras.Model([image, width], keras.layers.Dense(3, activation="softmax")(doubled))
    signature = [tf.TensorSpec((None, 8, None), tf.uint8, name="image"), tf.TensorSpec((None,), tf.int32, name="width")]
    with pytest.raises(ValueError, match="differs from the Keras network"):
        export_with_onnx_lstms(network, tmp_path / "model.onnx", signature, 1)
    assert not (tmp_path / "model.onnx").exists()


def test_beam_search_needs_a_language_model(saved_model):
    _, directory = saved_model
    with pytest.raises(ValueError, match="no language model"):
        HandwritingPredictor(directory, decoder="beam")


def test_the_training_step_benchmark_times_a_saved_models_network(saved_model, capsys):
    from evaluation import benchmark_training_step

    _, directory = saved_model
    arguments = ["--model-dir", str(directory), "--batch-size", "2", "--width", "240", "--steps", "2"]
    results = benchmark_training_step.main(arguments)
    assert results["step_median_ms"] > 0 and results["ms_per_line"] == pytest.approx(results["step_median_ms"] / 2)
    assert "handwriting_cnn_bilstm_ctc" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # fewer frames than a label's characters: CTC could not align it
        benchmark_training_step.main(["--model-dir", str(directory), "--width", "200"])


def test_the_inference_benchmark_reads_handwriting_like_lines_of_the_widths_asked(saved_model, capsys):
    from evaluation import benchmark_handwriting_predictor as benchmark

    lines = benchmark.handwriting_lines(HEIGHT, [300, 120, 500], np.random.default_rng(0))
    assert [line.shape for line in lines] == [(HEIGHT, 300), (HEIGHT, 120), (HEIGHT, 500)]
    assert all(line.dtype == np.uint8 and line.max() == 255 and line.mean() < 128 for line in lines)  # ink on black
    _, directory = saved_model
    results = benchmark.main(["--model-dir", str(directory), "--width", "400", "--batch", "3", "--repeats", "2"])
    assert results["single_median_ms"] > 0 and results["batched_lines_per_s"] > 0
    assert "decoder: greedy" in capsys.readouterr().out
