"""Training: run experiments described by JSON configs."""
