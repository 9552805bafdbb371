"""Gunicorn settings for the service: `gunicorn -c api/gunicorn.conf.py` from the lab's folder.

One worker process per core, each with a few threads: ONNX Runtime releases the GIL while it runs, so
threads overlap image decoding with inference, and each inference uses a single thread so that workers
do not fight over cores. Each worker loads its own ONNX Runtime sessions when it starts (no preloading:
sessions are not shared across fork). HOST and PORT choose the address (default 127.0.0.1:8000).
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
wsgi_app = "api.wsgi:app"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 5
timeout = 30
graceful_timeout = 10
accesslog = None  # the app logs one JSON line per request itself
errorlog = "-"
loglevel = "warning"
# A server runs one request per thread and one worker per core: one ONNX Runtime thread per inference,
# read by the workers when they load the models.
os.environ.setdefault("TEXT_RECOGNIZER_THREADS", "1")
