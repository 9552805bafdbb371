"""A handwriting text recognizer, built lab by lab."""
