"""The line detector's model: per-pixel classes (background, line body) for pages of any size.

Trained on square crops of augmented pages (`page_augmentation`), used on whole pages: a fully
convolutional network does not mind the change of size. The loss is per-pixel cross-entropy; the
metric, the intersection over union of the predicted and true line bodies.
"""

from pathlib import Path

import keras
import numpy as np

from text_recognizer.models.base import BaseModel

PROBE_SIDE = 64  # a page side the export traces with (any multiple of 8; the ONNX graph keeps sides free)


class LineDetectorModel(BaseModel):
    """An FCN over (height, width) uint8 pages whose sides are multiples of 8."""

    def loss(self) -> keras.losses.Loss:
        return keras.losses.SparseCategoricalCrossentropy()

    def metrics(self) -> list:
        return [keras.metrics.IoU(num_classes=len(self.mapping), target_class_ids=[1], sparse_y_pred=False, name="iou")]

    def predict_batch(self, images: np.ndarray, batch_size: int = 8) -> np.ndarray:
        return self.network.predict(images, batch_size=batch_size, verbose=0)

    def export_onnx(self, path: Path) -> None:
        self.network(np.zeros((1, PROBE_SIDE, PROBE_SIDE), dtype=np.uint8))
        self.network.export(str(path), format="onnx", verbose=False)
