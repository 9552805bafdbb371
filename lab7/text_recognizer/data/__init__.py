"""Datasets: download, process, cache and split. Training-time code: inference never imports it."""
