"""Lab 1 exercises: edit the *_exercises.py file, then `make grade LAB=1`."""
