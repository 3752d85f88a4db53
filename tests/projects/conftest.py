"""The projects tests' fixtures live in tests/conftest.py (``content``: the framework, F1 and the test brief;
``people``); their helpers in tests/factories/."""
import pytest

from lms.config import REPO_ROOT
from tests.factories.content import F1, HERE, PDF, office  # noqa: F401 - the names tests used to import from here


@pytest.fixture
def final_reason_migration():
    """Revision 0019's module (its conversions between the old sentences and the stored facts)."""
    import importlib.util
    path = REPO_ROOT / "migrations" / "versions" / "0019_final_reason_facts.py"
    spec = importlib.util.spec_from_file_location("migration_0019_final_reason_facts", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
