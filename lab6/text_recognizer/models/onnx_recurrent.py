"""ONNX export of a CNN + bidirectional-LSTM + softmax network, its LSTMs as ONNX `LSTM` operators.

tf2onnx turns masked Keras LSTMs into ONNX `Loop`s that run a small graph per frame: one 1000-pixel line
took 81 ms. ONNX's own `LSTM` operator runs the whole recurrence in one optimized ONNX Runtime kernel and
skips each line's padding through `sequence_lens`, as the Keras mask does. So the convolutional part is
exported by tf2onnx up to its (batch, frames, features) output, and the head after it is written
operator by operator from the Keras weights.
"""

import tempfile
from pathlib import Path

import keras
import numpy as np

HEAD_LAYERS = (keras.layers.Bidirectional, keras.layers.Dense)


def export_with_onnx_lstms(network: keras.Model, path: Path, input_signature: list, frame_width: int) -> None:
    """Write `network` ((image, width) -> per-frame probabilities) to `path` as ONNX.

    The network's convolutional part must end with a `Reshape` to (batch, steps, features), followed by
    dropout, bidirectional LSTMs (concatenated) and either a softmax `Dense` (one frame per step) or a
    linear `Dense` of k x classes reshaped to k frames per step and then softmaxed. Layers without weights
    that only handle masks are skipped, and the result is checked against the Keras network before it is
    written. `input_signature` names the inputs `image` and `width`; a line has `width // frame_width`
    frames, and the LSTMs run over the steps that give them.
    """
    import onnx

    layers = network.layers
    first_recurrent = min(i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Bidirectional))
    split = max(i for i, layer in enumerate(layers[:first_recurrent]) if isinstance(layer, keras.layers.Reshape))
    head = [
        layer
        for layer in layers[split + 1 :]
        if (isinstance(layer, HEAD_LAYERS) or layer.weights) and not isinstance(layer, keras.layers.Dropout)
    ]
    softmax_layer = any(isinstance(layer, keras.layers.Softmax) for layer in layers[split + 1 :])
    frames_per_step = _check_head(head, int(network.output.shape[-1]), softmax_layer)
    convolutional = keras.Model(network.inputs, layers[split].output)
    with tempfile.TemporaryDirectory() as scratch:  # `path` is written only once the whole graph checks out
        part = Path(scratch) / "convolutional.onnx"
        convolutional.export(str(part), format="onnx", verbose=False, input_signature=[input_signature])
        model = onnx.load(str(part))
    _append_head(model.graph, head, frame_width, frames_per_step)
    onnx.checker.check_model(model, full_check=True)
    _check_against_keras(network, model.SerializeToString(), input_signature[0].shape[1], frame_width)
    onnx.save(model, str(path))


def _check_against_keras(network: keras.Model, onnx_model: bytes, height: int, frame_width: int) -> None:
    """Raise unless the ONNX graph gives Keras's probabilities on two probe lines of different widths.

    A weightless layer that changed values in the head would otherwise be dropped silently.
    """
    import onnxruntime

    widths = np.array([24 * frame_width, 9 * frame_width], np.int32)
    pixels = np.random.default_rng(0).integers(0, 256, (2, height, int(widths[0])), dtype=np.uint8)
    pixels[1, :, widths[1] :] = 0
    session = onnxruntime.InferenceSession(onnx_model, providers=["CPUExecutionProvider"])
    exported = session.run(None, {"image": pixels, "width": widths})[0]
    reference = np.asarray(network([pixels, widths], training=False))
    for line, width in enumerate(widths // frame_width):
        difference = float(np.abs(exported[line, :width] - reference[line, :width]).max())
        if difference > 1e-4:
            raise ValueError(f"the ONNX export differs from the Keras network by {difference:.2g}: not written")


def _check_head(head: list, classes: int, softmax_layer: bool) -> int:
    """The frames each LSTM step gives, for a head of a kind `_append_head` writes (else a ValueError).

    That is bidirectional LSTMs, then a softmax Dense of `classes` units, or a linear Dense of k x `classes`
    units followed by a Softmax layer (after the reshape to frames).
    """
    recurrent = head[:-1]
    if not recurrent or not all(isinstance(layer, keras.layers.Bidirectional) for layer in recurrent):
        raise ValueError(f"expected bidirectional LSTMs then a Dense layer after the last Reshape, got {head}")
    dense = head[-1]
    frames_per_step, remainder = divmod(dense.units, classes) if isinstance(dense, keras.layers.Dense) else (0, 1)
    one_frame = frames_per_step == 1 and dense.activation is keras.activations.softmax and not softmax_layer
    frames = not remainder and dense.activation is keras.activations.linear and softmax_layer
    if remainder or not (one_frame or frames):
        raise ValueError(
            f"{dense.name}: the last layer must be a softmax Dense, or a linear Dense of k x {classes} units"
            " reshaped to k frames per step and softmaxed"
        )
    for layer in recurrent:
        for direction in (layer.forward_layer, layer.backward_layer):
            cell = direction.cell
            if not (
                isinstance(direction, keras.layers.LSTM)
                and layer.merge_mode == "concat"
                and cell.activation is keras.activations.tanh
                and cell.recurrent_activation is keras.activations.sigmoid
                and cell.use_bias
            ):
                raise ValueError(f"{layer.name}: only concatenated LSTMs with tanh/sigmoid and a bias are exported")
    return frames_per_step


def _onnx_gates(matrix: np.ndarray) -> np.ndarray:
    """Keras packs an LSTM's gates i, f, c, o along the last axis; ONNX wants i, o, f, c along the first."""
    i, f, c, o = np.split(np.asarray(matrix, dtype=np.float32), 4, axis=-1)
    return np.concatenate([i, o, f, c], axis=-1).T


def _append_head(graph, head: list, frame_width: int, frames_per_step: int) -> None:
    """Nodes from the graph's (batch, steps, features) output to per-frame probabilities."""
    from onnx import TensorProto, helper, numpy_helper

    def constant(name: str, array: np.ndarray) -> str:
        graph.initializer.append(numpy_helper.from_array(array, name))
        return name

    features = graph.output[0].name
    nodes = [
        helper.make_node("Div", ["width", constant("frame_width", np.array(frame_width, np.int32))], ["frames"]),
        # The steps that give a line's frames: ceil(frames / frames_per_step), as the network's FrameMask
        helper.make_node("Add", ["frames", constant("step_rounding", np.array(frames_per_step - 1, np.int32))], ["up"]),
        helper.make_node("Div", ["up", constant("frames_per_step", np.array(frames_per_step, np.int32))], ["steps"]),
        helper.make_node("Transpose", [features], ["sequence_0"], perm=[1, 0, 2]),  # (steps, batch, features)
    ]
    sequence = "sequence_0"
    merge_directions = constant("merge_directions", np.array([0, 0, -1], np.int64))
    for k, layer in enumerate(head[:-1], start=1):
        cells = [layer.forward_layer.cell, layer.backward_layer.cell]
        units = cells[0].units
        kernels = np.stack([_onnx_gates(cell.kernel.numpy()) for cell in cells])
        recurrent_kernels = np.stack([_onnx_gates(cell.recurrent_kernel.numpy()) for cell in cells])
        # ONNX adds an input bias and a recurrent bias: Keras has one bias, so the recurrent one is 0.
        no_bias = np.zeros(4 * units, np.float32)
        biases = np.stack([np.concatenate([_onnx_gates(cell.bias.numpy()[None])[:, 0], no_bias]) for cell in cells])
        inputs = [sequence, constant(f"W_{k}", kernels), constant(f"R_{k}", recurrent_kernels)]
        inputs += [constant(f"B_{k}", biases), "steps"]
        nodes += [
            helper.make_node("LSTM", inputs, [f"lstm_{k}"], direction="bidirectional", hidden_size=units),
            # (steps, 2 directions, batch, units) -> (steps, batch, 2 * units): forward then backward, as Keras
            helper.make_node("Transpose", [f"lstm_{k}"], [f"lstm_{k}_by_line"], perm=[0, 2, 1, 3]),
            helper.make_node("Reshape", [f"lstm_{k}_by_line", merge_directions], [f"sequence_{k}"]),
        ]
        sequence = f"sequence_{k}"
    dense = head[-1]
    classes = dense.units // frames_per_step
    # (batch, steps, k x classes) -> (batch, k x steps, classes): the k frames of a step follow each other
    to_frames = constant("to_frames", np.array([0, -1, classes], np.int64))
    nodes += [
        helper.make_node("Transpose", [sequence], ["by_line"], perm=[1, 0, 2]),
        helper.make_node("MatMul", ["by_line", constant("dense_kernel", dense.kernel.numpy())], ["dense_product"]),
        helper.make_node("Add", ["dense_product", constant("dense_bias", dense.bias.numpy())], ["step_logits"]),
        helper.make_node("Reshape", ["step_logits", to_frames], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1),
    ]
    graph.node.extend(nodes)
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, None, classes]))
