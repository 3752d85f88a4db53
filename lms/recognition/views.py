"""Partner credentials as credit: a trainee's submission page, the administrators' partner registry and their
decision queue. Views are thin: the check and the decisions are in :mod:`lms.recognition.services`, the registry in
:mod:`lms.recognition.registry`."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.forms import ActionForm
from lms.core.limits import body_limit
from lms.extensions import db
from lms.recognition import checking, registry
from lms.recognition import services as svc
from lms.recognition.models import GrantKind, MatchKind, RequestState
from lms.security import login_required, role_required

bp = Blueprint("recognition", __name__)


def _valid_post() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _file(name: str, limit: int) -> bytes | None:
    upload = request.files.get(name)
    return upload.read(limit + 1) if upload is not None and upload.filename else None


# ---------------------------------------------------------------- the trainee

@bp.route("/recognition", methods=["GET", "POST"])
@login_required
@body_limit(6_000_000)      # a PDF of at most 5 MB, a status list and the form
def submit():
    form = ActionForm()
    if request.method == "POST":
        _valid_post()
        raw = _file("file", checking.MAX_PDF_BYTES) or request.form.get("text", "").encode("utf-8")
        if not raw.strip():
            flash(_("Paste the credential or choose its file."), "error")
            return redirect(url_for("recognition.submit"))
        try:
            req = svc.submit(current_user, raw, _file("status_list", checking.MAX_STATUS_LIST_BYTES))
        except svc.RecognitionError as exc:
            db.session.rollback()
            flash(_("You have sent too many credentials today; try again tomorrow.") if str(exc) == "rate" else
                  _("Several of your requests are waiting for a decision; wait for them first."), "error")
            return redirect(url_for("recognition.submit"))
        db.session.commit()
        flash(_("Checked and sent to an administrator for confirmation.") if req.state == RequestState.PENDING
              else _("Refused: see the reason below."), "success" if req.state == RequestState.PENDING else "error")
        return redirect(url_for("recognition.submit"))
    return render_template("recognition/submit.html", form=form, requests=svc.requests_of(current_user),
                           left=svc.submissions_left(current_user))


# ---------------------------------------------------------------- the registry

@bp.route("/admin/partners", methods=["GET", "POST"])
@role_required("admin")
def partners():
    form = ActionForm()
    if request.method == "POST":
        _valid_post()
        try:
            partner = registry.save_partner(current_user, None, *_partner_fields())
        except registry.RegistryError as exc:
            db.session.rollback()
            flash(_registry_problem(str(exc)), "error")
            return redirect(url_for("recognition.partners"))
        db.session.commit()
        return redirect(url_for("recognition.partner", public_id=partner.public_id))
    return render_template("recognition/partners.html", form=form, partners=registry.partners())


def _partner_fields() -> tuple[str, str, str, str]:
    f = request.form
    return f.get("name_en", ""), f.get("name_zh", ""), f.get("country", ""), f.get("website", "")


def _registry_problem(code: str) -> str:
    return {
        "name": _("A partner needs a name."),
        "country": _("The country is a two-letter ISO code, such as GB or DE."),
        "website": _("The website must be an https:// address."),
        "issuer": _("An issuer identifier is a did:web, a did:key or an https:// address."),
        "issuer_taken": _("That issuer identifier is already registered."),
        "key": _("The key is neither an Ed25519 Multikey (z6Mk…) nor a public P-256 or RSA JWK, or it has no verification method."),
        "key_taken": _("A key with that verification method is already registered."),
        "did_document": _("The file is not a DID document with a Multikey or JWK verification method (64 kB at most)."),
        "rule": _("A rule needs what to match and what it grants."),
        "target": _("No competency, course, exam or programme has that code."),
        "level": _("Choose the level the competency is recognised at."),
        "too_many": _("The registry's limit is reached."),
        "status_list": _("The file is not a status list credential of this partner signed with one of its registered keys."),
    }.get(code, code)


def _partner_or_404(public_id: str):
    partner = registry.by_public_id(public_id)
    if partner is None:
        abort(404)
    return partner


@bp.route("/admin/partners/<public_id>", methods=["GET", "POST"])
@role_required("admin")
def partner(public_id: str):
    partner = _partner_or_404(public_id)
    if request.method == "POST":
        _valid_post()
        try:
            _add(partner, request.form.get("what", "details"))
        except registry.RegistryError as exc:
            db.session.rollback()
            flash(_registry_problem(str(exc)), "error")
        else:
            db.session.commit()
            flash(_("Saved."), "success")
        return redirect(url_for("recognition.partner", public_id=public_id))
    return render_template("recognition/partner.html", form=ActionForm(), partner=partner,
                           status_lists=registry.status_lists(partner),
                           match_kinds=list(MatchKind), grant_kinds=list(GrantKind), levels=registry.LEVELS)


def _add(partner, what: str) -> None:
    f = request.form
    if what == "issuer":
        registry.add_issuer(current_user, partner, f.get("identifier", ""))
    elif what == "key":
        registry.add_key(current_user, partner, f.get("method", ""), f.get("material", ""))
    elif what == "did":
        registry.import_did_document(current_user, partner, _file("did_document", registry.MAX_DID_DOCUMENT_BYTES))
    elif what == "status_list":
        registry.store_status_list(current_user, partner, _file("status_list", checking.MAX_STATUS_LIST_BYTES))
    elif what == "rule":
        registry.add_rule(current_user, partner, f.get("match_kind", ""), f.get("match_value", ""),
                          f.get("grant_kind", ""), f.get("target", ""), f.get("level") or None, _date(f.get("valid_until")))
    else:
        registry.save_partner(current_user, partner, *_partner_fields())


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text and text.strip() else None
    except ValueError:
        raise registry.RegistryError("rule") from None


@bp.post("/admin/partners/<public_id>/<what>/<item>/remove")
@role_required("admin")
def remove(public_id: str, what: str, item: str):
    partner = _partner_or_404(public_id)
    _valid_post()
    if not registry.remove(current_user, partner, what, item):
        abort(404)
    db.session.commit()
    flash(_("Removed."), "success")
    return redirect(url_for("recognition.partner", public_id=public_id))


# ---------------------------------------------------------------- the decisions

@bp.get("/admin/recognition")
@role_required("admin")
def queue():
    requests = svc.queue()
    return render_template("recognition/queue.html", form=ActionForm(), requests=requests,
                           grants={r.id: svc.would_grant(r) for r in requests if r.state == RequestState.PENDING})


@bp.post("/admin/recognition/<public_id>/decide")
@role_required("admin")
def decide(public_id: str):
    req = svc.by_public_id(public_id)
    if req is None:
        abort(404)
    _valid_post()
    decision, reason = request.form.get("decision"), request.form.get("reason", "")
    action = {"confirm": svc.confirm, "refuse": svc.refuse, "withdraw": svc.withdraw}.get(decision)
    if action is None:
        abort(400)
    try:
        action(current_user, req, reason)
    except svc.RecognitionError as exc:
        db.session.rollback()
        flash({"reason": _("Give the reason the trainee will see."),
               "no_rule": _("No rule of the partner matches any more: nothing would be granted."),
               }.get(str(exc), _("This request was already decided.")), "error")
    else:
        db.session.commit()
        flash(_("Decision saved."), "success")
    return redirect(url_for("recognition.queue"))
