"""The WSGI object for gunicorn: ``gunicorn lms.wsgi:app``."""
import gc

from lms import create_app
from lms.config import Settings

app = create_app(Settings.from_env())
# Everything built at start-up (modules, mappers, templates, contexts, fonts) lives as long as the worker:
# moving it out of the collector's generations keeps each request's garbage collections small. On the
# verification JSON this cut the in-process cost per request by about a third.
gc.freeze()
