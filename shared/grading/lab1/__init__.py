"""Lab 1's graded exercises: the character stem (polarity, squaring) and a LeNet-style network."""

SUBMISSION = "character_exercises.py"
# What the checks import, beyond the standard library: the Gradescope image installs these (pinned as in
# requirements/dev.txt). The stem checks compare with the course's text_recognizer.stems.
REQUIREMENTS = ("numpy", "pillow", "pytest", "hypothesis", "tensorflow-cpu", "keras")
