"""The projects tests' fixtures live in tests/conftest.py (``content``: the framework, F1 and the test brief;
``people``); their helpers in tests/factories/."""
from tests.factories.content import F1, HERE, PDF, office  # noqa: F401 - the names tests used to import from here
