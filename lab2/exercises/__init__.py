"""Lab 2 exercises: edit the *_exercises.py file, then `make grade LAB=2`."""
