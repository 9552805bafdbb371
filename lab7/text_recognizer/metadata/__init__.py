"""Small constants that inference needs without touching any dataset."""
