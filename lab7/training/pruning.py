"""Optuna pruning for Keras training: stop a sweep's trial early when it is clearly worse than others."""

import keras


class PruningCallback(keras.callbacks.Callback):
    """Reports the sweep's metric to Optuna each epoch and stops training when the pruner says so.

    Training stops rather than raising inside Keras, so the run is still evaluated, saved and logged; the
    sweep then records the trial as pruned.
    """

    def __init__(self, trial, metric: str) -> None:
        super().__init__()
        self.trial, self.metric = trial, metric
        self.pruned, self.last_epoch = False, 0

    def on_epoch_end(self, epoch, logs=None):
        if self.metric not in (logs or {}):
            raise KeyError(f"the sweep's metric {self.metric!r} is not in the epoch logs {sorted(logs or {})}")
        self.last_epoch = epoch + 1
        self.trial.report(float(logs[self.metric]), step=self.last_epoch)
        if self.trial.should_prune():
            self.pruned = True
            self.model.stop_training = True
