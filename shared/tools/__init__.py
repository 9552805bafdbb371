"""Instructor tooling: not copied into the labs."""
