"""The assessment tests' fixtures live in tests/conftest.py (``quiz``: a small timed quiz with its own bank,
the trainee enrolled); their helpers in tests/factories/content.py."""
from tests.factories.content import BANK, F1, belongs_to_f1  # noqa: F401 - the names tests used to import from here
