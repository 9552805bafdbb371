"""Lab 2's graded exercises: CTC greedy decoding, edit distance and the character error rate."""

SUBMISSION = "ctc_exercises.py"
# What the checks import, beyond the standard library (pinned as in requirements/dev.txt); they compare
# with the course's text_recognizer.ctc and text_recognizer.metrics.
REQUIREMENTS = ("numpy", "pillow", "rapidfuzz", "pytest", "hypothesis")
