"""Evaluation and benchmark scripts for the committed models."""
