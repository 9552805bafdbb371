"""The prediction service: a Flask app (JSON API and web page) over the committed ONNX models."""
