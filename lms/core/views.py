from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from lms.accounts.forms import ActionForm
from lms.accounts.views import safe_next
from lms.extensions import db
from lms.i18n import LANGUAGES

bp = Blueprint("core", __name__)


@bp.get("/")
def index():
    from lms.catalog.services import search_catalogue
    from lms.frameworks.services import framework_tree

    fw = framework_tree()
    courses = search_catalogue()
    return render_template("core/index.html", fw=fw, courses=courses)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        dialect = db.engine.dialect.name
        return jsonify(status="ok", database={"status": "ok", "dialect": dialect})
    except Exception as exc:  # pragma: no cover - exercised by stopping the database
        db.session.rollback()
        return jsonify(status="error", database={"status": "error", "error": type(exc).__name__}), 503


@bp.post("/lang")
def set_language():
    form = ActionForm()
    lang = request.form.get("lang", "")
    if form.validate_on_submit() and lang in LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("core.index")))
