"""Employers: checking many certificates at once (a CSV in the browser, or JSON through the API with a
per-employer key), and managing those keys. Anonymous use is rate-limited."""
from __future__ import annotations

from collections import Counter

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.accounts.forms import ActionForm
from lms.core.limits import body_limit
from lms.credentials import presentation, report_words, verification
from lms.credentials.views import check_file
from lms.db import requested_page
from lms.employers import services as svc
from lms.employers.models import ApiKey
from lms.extensions import db, limiter
from lms.security import role_required, trusted_checker

bp = Blueprint("employers", __name__)
api = Blueprint("employers_api", __name__, url_prefix="/api/v1")


def _anonymous_limit() -> str:
    return current_app.config["ANONYMOUS_CHECK_LIMIT"]


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


@bp.route("/verify/bulk", methods=["GET", "POST"])
@body_limit(26_000_000)     # a list of at most 2 MB, or up to 20 certificate files (5 MB each, spooled to disk)
@limiter.limit(_anonymous_limit, methods=["POST"], exempt_when=trusted_checker)
def bulk():
    form = ActionForm()
    results, problem, documents = None, None, None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        upload, text = request.files.get("file"), request.form.get("ids", "")
        files = [f for f in request.files.getlist("documents") if f.filename]
        if len(files) > svc.MAX_DOCUMENTS:
            problem = _("At most %(n)d certificate files can be checked at once.", n=svc.MAX_DOCUMENTS)
        else:
            documents = [(f.filename, *check_file(f)) for f in files] or None     # each as an upload to /verify
            if documents is None or text.strip() or (upload and upload.filename):
                results, problem = _check_csv(upload, text)
        db.session.commit()
        if results is not None and request.form.get("format") == "csv":
            return Response("\ufeff" + svc.to_csv(results), mimetype="text/csv; charset=utf-8", headers={
                "Content-Disposition": 'attachment; filename="certificate-check.csv"'})
    counts = {}
    for r in results or []:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return render_template("employers/bulk.html", form=form, results=results, problem=problem, counts=counts,
                           limit=svc.MAX_IDS, documents=documents, max_documents=svc.MAX_DOCUMENTS)


def _check_csv(upload, text: str) -> tuple[list[dict] | None, str | None]:
    """The results of a CSV file (or of the pasted text), or the problem with it."""
    name = "text"
    if upload and upload.filename:
        name = upload.filename
        try:
            text = upload.read(2_000_001).decode("utf-8-sig")
        except UnicodeDecodeError:
            return None, _("%(name)s: not UTF-8 text; save the CSV as UTF-8.", name=name)
    try:
        rows = svc.parse_ids(text)
        if not rows:
            raise svc.BulkError(_("No credential IDs found."))
    except svc.BulkError as exc:
        return None, f"{name}: {exc}"
    return svc.check_rows(rows), None


@bp.route("/employer/keys", methods=["GET", "POST"])
@role_required("employer")
def keys():
    form = ActionForm()
    secret = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            _key, secret = svc.create_key(current_user, request.form.get("name", ""))
        except svc.BulkError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
    mine = list(db.session.scalars(select(ApiKey).where(ApiKey.user_id == current_user.id)
                                   .order_by(ApiKey.created_at.desc())))
    return render_template("employers/keys.html", form=form, keys=mine, secret=secret)


@bp.post("/employer/keys/<public_id>/revoke")
@role_required("employer")
def revoke_key(public_id: str):
    key = db.session.scalar(select(ApiKey).where(ApiKey.public_id == public_id))
    if key is None or key.user_id != current_user.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    svc.revoke_key(current_user, key)
    db.session.commit()
    flash(_("Key revoked: it no longer works."), "success")
    return redirect(url_for("employers.keys"))


@bp.get("/admin/api-keys")
@role_required("admin")
def admin_keys():
    keys = svc.all_keys(page=requested_page())
    return render_template("employers/admin_keys.html", keys=keys, states={k.id: svc.key_state(k) for k in keys.items})


def _key_or_404(public_id: str) -> ApiKey:
    key = db.session.scalar(select(ApiKey).where(ApiKey.public_id == public_id))
    if key is None:
        abort(404)
    return key


@bp.get("/admin/api-keys/<public_id>/revoke")
@role_required("admin")
def admin_revoke_key_confirm(public_id: str):
    key = _key_or_404(public_id)
    if key.revoked_at is not None:
        return redirect(url_for("employers.admin_keys"))
    return render_template("employers/admin_revoke_key.html", key=key, state=svc.key_state(key), form=ActionForm())


@bp.post("/admin/api-keys/<public_id>/revoke")
@role_required("admin")
def admin_revoke_key(public_id: str):
    key = _key_or_404(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    svc.revoke_key(current_user, key)
    db.session.commit()
    flash(_("Key revoked: it no longer works."), "success")
    return redirect(url_for("employers.admin_keys"))


def _has_key() -> bool:
    return svc.key_for(_bearer()) is not None


@api.post("/verify")
@body_limit(svc.API_MAX_BYTES)
@limiter.limit(_anonymous_limit, exempt_when=_has_key)      # the API never looks at the session cookie
def api_verify():
    """``{"ids": ["<32 hex> or a verification URL", ...], "credentials": [<signed credential>, ...]}`` →
    ``{"results": [{id, status, programme, ...}], "documents": [{verdict, checks, signed, ...}], "counts": {...}}``:
    each credential is checked as an upload is (:func:`lms.credentials.verification.verify_document`). An item of
    ``credentials`` may be a verifiable presentation: its document is then ``{"presentation": {holder, signed,
    signatureVerified, credentials, messages}, "documents": [<one per credential inside>]}``."""
    if _bearer() is not None and svc.key_for(_bearer()) is None:
        return jsonify(error="invalid or revoked API key"), 401
    data = _api_body()
    ids, docs = data.get("ids", []), data.get("credentials", [])
    problem = _api_request_problem(ids, docs)
    if problem is not None:
        return jsonify(problem), 400
    found = [svc.credential_id(i) for i in ids]
    bad = [i for i, f in zip(ids, found, strict=True) if f is None]
    if bad:
        return jsonify(error="not credential ids (32 hexadecimal characters) or verification URLs",
                       invalid=bad[:20]), 400
    results = svc.check_ids(found)
    documents = [_document_json(doc) for doc in docs]
    db.session.commit()
    verdicts = [inner["verdict"] for d in documents for inner in d.get("documents", [d])]
    counts = Counter([r["status"] for r in results] + verdicts)
    return jsonify(results=results, documents=documents, counts=dict(counts))


def _document_json(doc) -> dict:
    """The API's answer for one item of ``credentials``: a credential's report, or a presentation's."""
    if presentation.is_presentation(doc):
        return report_words.submission_json(verification.verify_submission(doc))
    return report_words.report_json(verification.verify_document(doc))


def _api_body() -> dict:
    """The API request's JSON object ({} when the body is not one)."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    return data if isinstance(data, dict) else {}


def _api_request_problem(ids, docs) -> dict | None:
    """What is wrong with the ids and credentials of an API request (the JSON of a 400 answer), or None."""
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or not isinstance(docs, list) \
            or not (ids or docs):
        return {"error": 'send JSON like {"ids": ["<credential id or verification URL>", ...]} '
                         'or {"credentials": [<signed credential>, ...]}'}
    if len(ids) > svc.MAX_IDS:
        return {"error": f"at most {svc.MAX_IDS} ids per request"}
    if len(docs) > svc.MAX_DOCUMENTS or sum(len(presentation.credentials_in(d)) for d in docs) > svc.MAX_DOCUMENTS:
        return {"error": f"at most {svc.MAX_DOCUMENTS} credentials per request, counting those in presentations"}
    return None
