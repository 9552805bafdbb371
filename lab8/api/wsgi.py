"""The WSGI entry point servers import: `gunicorn api.wsgi:app`. Loads the models at import."""

from api.app import create_app

app = create_app()
