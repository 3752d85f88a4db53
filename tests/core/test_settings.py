"""Settings are passed in: the entry points read the ``LMS_*`` environment once, the tests pass their own, so an
exported variable never reaches a test's application."""
import pytest

from lms import create_app
from lms.config import Settings
from tests.factories import settings_for

LEAKS = {"LMS_REDIS_URL": "redis://leak.invalid:6379/0", "LMS_MAIL_SERVER": "smtp.leak.invalid",
         "LMS_DATABASE_URL": "postgresql+psycopg://leak:leak@leak.invalid/leak", "LMS_BASE_URL": "https://leak.invalid",
         "LMS_SECRET_KEY": "leaked-secret", "LMS_SIGNING_KEY": "not a key", "LMS_UPLOAD_MAX_MB": "1"}


@pytest.fixture
def exported(monkeypatch):
    for name, value in LEAKS.items():
        monkeypatch.setenv(name, value)


def _untouched_by_the_environment(config):
    assert config["REDIS_URL"] is None and config["RATELIMIT_STORAGE_URI"] in ("lms-database://", "memory://")
    assert config["MAIL_SERVER"] is None and config["LMS_SIGNING_KEY"] is None
    assert "leak" not in config["SQLALCHEMY_DATABASE_URI"] and config["LMS_BASE_URL"] == "http://lms.example.com"
    assert config["SECRET_KEY"] != "leaked-secret" and config["UPLOAD_MAX_BYTES"] == 25_000_000


def test_an_exported_lms_variable_never_reaches_a_test_application(exported, tmp_path):
    _untouched_by_the_environment(create_app(settings_for(tmp_path)).config)


def test_nor_the_application_of_the_test_fixtures(exported, app):
    _untouched_by_the_environment(app.config)


def test_the_entry_points_settings_do_read_the_environment(exported, tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    config = Settings.from_env().flask_config()
    assert config["REDIS_URL"] == LEAKS["LMS_REDIS_URL"] and config["MAIL_SERVER"] == "smtp.leak.invalid"
    assert config["SECRET_KEY"] == "leaked-secret" and config["UPLOAD_MAX_BYTES"] == 1_000_000


def test_settings_passed_in_come_before_the_environment_only_where_given(tmp_path):
    settings = Settings.from_env({"LMS_INSTANCE_PATH": str(tmp_path), "LMS_MAIL_SERVER": "smtp.example.com"})
    config = settings.with_config({"MAIL_PORT": 2525}).flask_config()
    assert (config["MAIL_SERVER"], config["MAIL_PORT"]) == ("smtp.example.com", 2525)
