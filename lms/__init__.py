"""Training and certification platform for technology-transfer managers (技术经理人)."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from flask_babel import format_date, format_datetime, get_locale
from flask_wtf.csrf import CSRFError

from lms.config import REPO_ROOT, Settings
from lms.db import ping_when_idle
from lms.extensions import babel, csrf, db, limiter, login_manager, migrate

TEMPLATES = REPO_ROOT / "templates"


def create_app(config: Settings | Mapping[str, Any] | None = None) -> Flask:
    """The application, built from ``config``: the entry points (``lms``, ``lms.wsgi``, the job worker) pass
    ``Settings.from_env()`` and the tests settings of their own, so nothing here reads the environment. A plain
    mapping (scripts, benchmarks) is Flask configuration set over the environment's settings."""
    settings = config if isinstance(config, Settings) else Settings.from_env().with_config(config or {})
    app = Flask(__name__, instance_path=str(settings.instance_path), instance_relative_config=False,
                template_folder=str(TEMPLATES), static_folder="static")
    app.config.update(settings.flask_config())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name != "sqlite":       # a server database: check connections that sat idle
            ping_when_idle(db.engine)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True, compare_type=True)
    from lms.core import limits
    limits.init_app(app)        # first of the before-request hooks: body limits and sign-in before any body is read
    csrf.init_app(app)
    from lms.core import ratelimit  # registers the database storage of rate-limit counters
    ratelimit.choose_storage(app)
    limiter.init_app(app)
    from lms.i18n import select_locale
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    _init_login(app)
    from lms.accounts.services import configure_hasher
    configure_hasher(app.config.get("ARGON2_PARAMS"))
    _register_models()
    _bound_integers(app)
    _register_blueprints(app)
    _connect_features()
    _register_template_helpers(app)
    _register_errors(app)

    from lms.security import add_security_headers
    app.after_request(add_security_headers)
    from lms.core import assets
    assets.register(app)

    @app.teardown_request
    def _rollback_on_error(exc):
        if exc is not None:
            db.session.rollback()

    from lms.cli import register_cli
    register_cli(app)
    return app


def _register_models() -> None:
    # import every feature's models so that metadata (and Alembic) sees all tables
    import lms.accounts.models  # noqa: F401
    import lms.assessment.models  # noqa: F401
    import lms.catalog.models  # noqa: F401
    import lms.core.ratelimit  # noqa: F401
    import lms.credentials.models  # noqa: F401
    import lms.employers.models  # noqa: F401
    import lms.frameworks.models  # noqa: F401
    import lms.projects.models  # noqa: F401
    import lms.recognition.models  # noqa: F401
    import lms.wallet.models  # noqa: F401


def _init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from lms.accounts.models import User

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import joinedload

    # built once: every request of a signed-in person runs it. The roles come in the same round trip, since
    # nearly every page asks for them (the navigation, the access checks).
    by_public_id = select(User).where(User.public_id == bindparam("public_id")).options(joinedload(User.roles))

    @login_manager.user_loader
    def load_user(ident: str):
        public_id, _, version = ident.partition(":")
        user = db.session.scalars(by_public_id, {"public_id": public_id}).unique().first()
        if user is None or str(user.session_version) != version or not user.active:
            return None
        return user


def _bound_integers(app: Flask) -> None:
    """Every ``<int:...>`` in a route is a 32-bit number: a larger one is a 404 rather than an overflow in the
    database driver (row ids, list numbers and positions all fit)."""
    from werkzeug.routing import IntegerConverter

    class Int32Converter(IntegerConverter):
        def __init__(self, url_map, *args, **kwargs):
            kwargs.setdefault("max", 2**31 - 1)
            super().__init__(url_map, *args, **kwargs)

    app.url_map.converters["int"] = Int32Converter


def _register_blueprints(app: Flask) -> None:
    from lms.accounts.views import bp as accounts_bp
    from lms.assessment import exam_reports  # noqa: F401  (the instructors' exam screens, on the same blueprint)
    from lms.assessment.exam_views import bp as exams_bp
    from lms.assessment.views import bp as questions_bp
    from lms.catalog.authoring_views import bp as authoring_bp
    from lms.catalog.views import bp as catalog_bp
    from lms.core.views import bp as core_bp
    from lms.credentials import transcript_views  # noqa: F401  (the CE-point transcript, on the same blueprint)
    from lms.credentials.views import bp as credentials_bp
    from lms.dashboard.views import bp as dashboard_bp
    from lms.employers.views import api as employers_api
    from lms.employers.views import bp as employers_bp
    from lms.frameworks.case_views import bp as case_bp
    from lms.frameworks.views import bp as frameworks_bp
    from lms.projects.views import bp as projects_bp
    from lms.recognition.views import bp as recognition_bp
    from lms.wallet.views import api as oid4vci_api
    from lms.wallet.views import bp as wallet_bp

    for bp in (core_bp, accounts_bp, frameworks_bp, catalog_bp, authoring_bp, questions_bp, exams_bp, projects_bp,
               credentials_bp, employers_bp, employers_api, wallet_bp, oid4vci_api, dashboard_bp, case_bp,
               recognition_bp):
        app.register_blueprint(bp)
    csrf.exempt(employers_api)          # the API authenticates with a bearer key, never with the session cookie
    csrf.exempt(oid4vci_api)            # wallets authenticate with a pre-authorized code or bearer token, never a cookie


def _connect_features() -> None:
    """Each feature connects its receivers to the platform's signals (lms/signals.py) and registers the
    loaders of its content files (lms/loading.py); doing it again (a second app in the same process) changes
    nothing. Importing lms.jobs registers the after-commit hooks."""
    import lms.jobs  # noqa: F401
    from lms.assessment import loaders as assessment_loaders
    from lms.assessment.hooks import connect_signals as assessment_signals
    from lms.catalog import loaders as catalog_loaders
    from lms.catalog.services import connect_signals as catalog_signals
    from lms.credentials import loaders as credential_loaders
    from lms.credentials.views import connect_signals as credential_signals
    from lms.frameworks import loaders as framework_loaders
    from lms.projects import loaders as project_loaders
    from lms.projects.views import connect_signals as project_signals
    from lms.recognition.services import connect_signals as recognition_signals
    from lms.wallet.views import connect_signals as wallet_signals

    for connect in (catalog_signals, assessment_signals, project_signals, credential_signals, wallet_signals,
                    recognition_signals):
        connect()
    for feature in (framework_loaders, catalog_loaders, assessment_loaders, project_loaders, credential_loaders):
        feature.register()


def _register_template_helpers(app: Flask) -> None:
    from lms.i18n import LANGUAGES, current_lang, html_lang, localized, moment, tr_dict, tr_filter

    app.jinja_env.filters["tr"] = tr_filter
    app.jinja_env.filters["trd"] = tr_dict
    app.jinja_env.filters["date"] = lambda d: format_date(d, "medium") if d else ""
    app.jinja_env.filters["datetime"] = lambda d: format_datetime(d, "medium") if d else ""
    app.jinja_env.filters["moment"] = moment
    app.jinja_env.filters["filesize"] = lambda n: f"{n} B" if n < 1000 else (
        f"{n / 1000:.0f} kB" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB")
    app.jinja_env.filters["hours"] = lambda h: f"{float(h):g}" if h is not None else ""

    @app.context_processor
    def _globals():
        return {"html_lang": html_lang(), "content_lang": current_lang(), "localized": localized,
                "current_locale": str(get_locale())}

    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    from lms.assessment import qtypes
    app.jinja_env.globals["qtype"] = qtypes.get      # a question type by name: its template, label, flags


def _register_errors(app: Flask) -> None:
    def page(code):
        def handler(error):
            db.session.rollback()
            return render_template("errors/error.html", code=code, error=error), code
        return handler

    for code in (400, 403, 404, 405, 429, 500):
        app.register_error_handler(code, page(code))
    from lms.core.limits import too_large
    app.register_error_handler(413, too_large)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/error.html", code=400, error=error, csrf=True), 400
