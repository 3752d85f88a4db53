"""Certificates: the trainee's eligibility, the public verification pages, the issuer's DID document and
status lists, verification by upload, and the administrators' register."""
from __future__ import annotations

import json
from contextlib import nullcontext

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms import signals
from lms.accounts.forms import ActionForm
from lms.catalog.markdown import render_markdown
from lms.catalog.models import CourseStatus
from lms.core.limits import body_limit
from lms.core.negotiation import wants_json_ld
from lms.credentials import achievement, eligibility, keys, pdf, report_words, status_store, verification
from lms.credentials import services as svc
from lms.credentials.models import STATUS_PURPOSES, Credential, ExperienceClaim, Programme, ReviewState
from lms.credentials.profile import issuer_names
from lms.db import requested_page, utcnow
from lms.extensions import db, limiter
from lms.frameworks.loader import current_framework
from lms.i18n import current_lang
from lms.security import login_required, role_required, trusted_checker

bp = Blueprint("credentials", __name__)
bp.add_app_template_global(report_words.check_message)      # a verification check's words, on any page that shows a report
bp.add_app_template_global(report_words.presentation_lines)
JSON_LD = "application/ld+json"
WITHDRAWN = ("revoked", "suspended")     # no longer offered for LinkedIn or for sharing in full
MAX_FILE_BYTES = 5_000_000       # an uploaded certificate file
MAX_PASTE_CHARS = 500_000        # pasted JSON (one of ours is about 20,000 characters; MAX_FORM_MEMORY_SIZE is 1 MB)


def _json(data, status=200, cache: int | None = None) -> Response:
    body = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2)
    resp = Response(body, status=status, mimetype="application/json")
    resp.headers["Access-Control-Allow-Origin"] = "*"          # verifiers fetch these from anywhere
    if cache is not None:
        resp.headers["Cache-Control"] = f"public, max-age={cache}"
    return resp


@bp.get("/.well-known/did.json")
def did_json():
    return _json(keys.did_document(), cache=300)


@bp.get("/status/<purpose>/<int:number>")       # a 32-bit number, as every <int:> (lms._bound_integers)
def status_list(purpose: str, number: int):
    if purpose not in STATUS_PURPOSES:
        abort(404)
    signed = status_store.signed_status_list(purpose, number)
    if signed is None:
        abort(404)
    db.session.commit()          # a list signed on this read is kept
    return _json(signed, cache=60)


@bp.get("/programmes/<key>")
def programme(key: str):
    """A programme's public page, and its OB 3.0 ``Achievement`` as JSON-LD for a client that asks for it. Each
    language edition has its own address (``?lang=zh-Hans`` the Chinese one; lms/credentials/achievement.py):
    there the page is in that language; without ``lang`` it is in the reader's, and the JSON-LD English."""
    prog = db.session.scalar(select(Programme).where(Programme.key == key))
    if prog is None:
        abort(404)
    chosen = request.args.get("lang")
    lang = achievement.edition_of(chosen) if chosen else None
    if wants_json_ld():
        resp = _json({"@context": svc.OB_CONTEXT, **achievement.achievement(prog, lang or "en")}, cache=300)
        resp.mimetype = JSON_LD
    else:
        with force_locale("zh_Hans" if lang == "zh" else "en") if lang else nullcontext():
            resp = Response(render_template("credentials/programme.html", prog=prog, names=_competency_names(prog),
                                            criteria=render_markdown(achievement.criteria_narrative(prog, current_lang()))))
    resp.headers["Vary"] = "Accept"
    return resp


def _competency_names(prog: Programme) -> dict:
    """The certified competencies of the current framework by code, in one query."""
    from lms.frameworks.models import Competency
    fw = current_framework()
    codes = [c["code"] for c in prog.competencies]
    return {c.code: c for c in db.session.scalars(select(Competency).where(
        Competency.framework_id == fw.id, Competency.code.in_(codes)))} if fw and codes else {}


# ---------------------------------------------------------------- the holder

@bp.get("/certificates")
@login_required
def mine():
    progs = svc.programmes()
    creds = list(db.session.scalars(select(Credential).where(Credential.holder_id == current_user.id)
                                    .order_by(Credential.requested_at.desc())))
    evaluations = {p.id: eligibility.evaluate(current_user, p) for p in progs}
    links = {c.id: [link for answer in signals.answers(signals.certificate_links, c) for link in answer]
             for c in creds if c.signed_json}      # links of features to the right (a wallet offer)
    return render_template("credentials/mine.html", progs=progs, creds=creds, evaluations=evaluations,
                           statuses={c.id: svc.status_of(c) for c in creds}, form=ActionForm(), links=links)


@bp.post("/certificates/check")
@login_required
def check():
    if not ActionForm().validate_on_submit():
        abort(400)
    issued = svc.check_and_issue(current_user)
    db.session.commit()
    if issued:
        flash(_("Requirements met: %(n)d certificate(s) issued or sent for approval.", n=len(issued)), "success")
    else:
        flash(_("No new certificate: the requirements below are not all met yet."), "info")
    return redirect(url_for("credentials.mine"))


@bp.post("/certificates/<public_id>/sharing")
@login_required
def sharing(public_id: str):
    cred = svc.by_public_id(public_id)
    if cred is None or cred.holder_id != current_user.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    share_full = request.form.get("share") == "full"
    if share_full and svc.status_of(cred) in WITHDRAWN:      # showing less is always allowed
        flash(_("A revoked or suspended certificate is not shared: its public page shows the status only."),
              "error")
        return redirect(url_for("credentials.mine"))
    cred.share_full = share_full
    db.session.commit()
    flash(_("Sharing saved."), "success")
    return redirect(url_for("credentials.mine"))


@bp.route("/certificates/experience", methods=["GET", "POST"])
@login_required
def experience():
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            years = int(request.form.get("years", ""))
            if not 0 < years <= 60:
                raise ValueError
        except ValueError:
            flash(_("Give the years as a whole number from 1 to 60."), "error")
            return redirect(url_for("credentials.experience"))
        evidence = request.form.get("evidence", "").strip()
        if len(evidence) < 20:
            flash(_("Describe the evidence: employers, roles, dates, and who can confirm them."), "error")
            return redirect(url_for("credentials.experience"))
        db.session.add(ExperienceClaim(user_id=current_user.id, years=years, evidence=evidence[:5000]))
        db.session.commit()
        flash(_("Declaration sent; an administrator will check it."), "success")
        return redirect(url_for("credentials.mine"))
    claims = list(db.session.scalars(select(ExperienceClaim).where(ExperienceClaim.user_id == current_user.id)
                                     .order_by(ExperienceClaim.created_at.desc())))
    return render_template("credentials/experience.html", claims=claims, form=form)


# ---------------------------------------------------------------- public verification

def _can_download(cred: Credential) -> bool:
    return cred.share_full or (current_user.is_authenticated and (
        cred.holder_id == current_user.id or current_user.has_role("admin")))


def _issued_or_404(public_id: str) -> Credential:
    cred = svc.by_public_id(public_id)
    if cred is None or cred.signed_json is None:
        abort(404)
    return cred


@bp.get("/v/<public_id>")
@limiter.exempt          # the public check of one certificate is never limited (and skips the limiter's work)
def verify_page(public_id: str):
    best = request.accept_mimetypes.best_match(["text/html", "application/json", JSON_LD])
    if best in ("application/json", JSON_LD):
        # the hot path of machine checks: one query, without the stored JSON
        cred = svc.for_public_view(public_id)
        if cred is None:
            abort(404)
        return _json(svc.public_view(cred))
    cred = _issued_or_404(public_id)
    names = _competency_names(cred.programme)
    return render_template("credentials/verify.html", cred=cred, status=svc.status_of(cred), names=names,
                           view=svc.public_view(cred), downloads=_can_download(cred), preview=_preview(cred))


def _preview(cred: Credential) -> dict | None:
    """What a shared link previews (Open Graph, Twitter card): only when the holder shares the page in full."""
    if not cred.share_full:
        return None
    return {"url": svc._url("credentials.verify_page", public_id=cred.public_id),
            "image": svc._url("credentials.badge_image", key=cred.programme.key, ext="png",
                              v=public.programme_badge_version(cred.programme))}


@bp.get("/v/<public_id>/credential.json")
def credential_json(public_id: str):
    cred = _issued_or_404(public_id)
    if not _can_download(cred):
        abort(403)
    resp = _json(cred.signed_json)
    resp.headers["Content-Disposition"] = f'attachment; filename="credential-{cred.public_id}.json"'
    return resp


def certificate_pdf_bytes(cred: Credential) -> bytes:
    prog, holder = cred.programme, cred.holder
    names = _competency_names(prog)
    verify_url = svc._url("credentials.verify_page", public_id=cred.public_id)
    return pdf.render({
        "name_zh": holder.name_zh, "name_latin": holder.name_latin, "title_en": prog.title_en, "title_zh": prog.title_zh,
        "level": prog.level, "issued": cred.valid_from.strftime("%Y-%m-%d"),
        "valid_until": cred.valid_until.strftime("%Y-%m-%d"), "credential_id": cred.public_id,
        "issuer_did": keys.did(), "issuer_name": issuer_names()["en"], "verify_url": verify_url,
        "linkedin_short": svc._url("credentials.linkedin", public_id=cred.public_id),
        "linkedin_url": pdf.linkedin_url(prog.title_en, issuer_names()["en"], cred.valid_from, cred.valid_until, verify_url,
                                         cred.public_id),
        "competencies": [(c["code"], names[c["code"]].name_en if c["code"] in names else "",
                          names[c["code"]].name_zh if c["code"] in names else "") for c in prog.competencies],
        "signed_json": cred.signed_json})


@bp.get("/v/<public_id>/certificate.pdf")
def certificate_pdf(public_id: str):
    cred = _issued_or_404(public_id)
    if not _can_download(cred):
        abort(403)
    try:
        data = certificate_pdf_bytes(cred)
    except pdf.FontMissing as exc:
        return render_template("errors/error.html", code=503, error=str(exc)), 503
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="certificate-{cred.public_id}.pdf"'})


@bp.get("/v/<public_id>/linkedin")
def linkedin(public_id: str):
    cred = _issued_or_404(public_id)
    if svc.status_of(cred) in WITHDRAWN:
        return render_template("credentials/withdrawn.html", cred=cred, status=svc.status_of(cred)), 403
    verify_url = svc._url("credentials.verify_page", public_id=cred.public_id)
    return redirect(pdf.linkedin_url(cred.programme.title_en, issuer_names()["en"], cred.valid_from, cred.valid_until,
                                     verify_url, cred.public_id))


def _anonymous_limit() -> str:
    return current_app.config["ANONYMOUS_CHECK_LIMIT"]


def check_file(upload) -> tuple[verification.VerificationReport | None, str | None]:
    """Check an uploaded certificate file (a PDF that carries the credential, or its JSON): the report, or why
    there is none."""
    raw = upload.read(MAX_FILE_BYTES + 1)
    if not raw:
        return None, _("Choose a PDF certificate or a JSON credential.")
    if len(raw) > MAX_FILE_BYTES:
        return None, _("The file is larger than 5 MB; a certificate is much smaller.")
    doc, text = verification.read_upload(raw)
    if doc is None:
        return None, _("%(name)s: no signed credential found in it (a PDF from this centre carries one inside; "
                       "a JSON file must be the credential itself).", name=upload.filename or "file")
    return verification.verify_document(doc, page_text=text), None


def check_submission(raw: bytes, name: str) -> tuple[verification.SubmissionReport | None, str | None]:
    """Check what someone sent to /verify (a file's bytes, or pasted JSON): a credential, a PDF carrying one, or a
    verifiable presentation holding credentials; the report of each, or why there is none."""
    doc, text = verification.read_upload(raw)
    if doc is None:
        return None, _("%(name)s: no signed credential found in it (a PDF from this centre carries one inside; "
                       "a JSON file must be the credential itself).", name=name)
    submission = verification.verify_submission(doc, page_text=text)
    if not submission.reports:
        return None, _("%(name)s: the presentation holds no credential that can be checked here.", name=name)
    return submission, None


def _submitted() -> tuple[verification.SubmissionReport | None, str | None]:
    """The pasted JSON if any, else the uploaded file, checked."""
    pasted = request.form.get("credential", "").strip()
    if pasted:
        if len(pasted) > MAX_PASTE_CHARS:
            return None, _("The pasted text is longer than %(n)s characters; a credential is much shorter.",
                           n=f"{MAX_PASTE_CHARS:,}")
        return check_submission(pasted.encode("utf-8", errors="replace"), _("The pasted text"))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None, _("Choose a PDF certificate or a JSON credential, or paste the JSON.")
    raw = upload.read(MAX_FILE_BYTES + 1)
    if not raw:
        return None, _("Choose a PDF certificate or a JSON credential.")
    if len(raw) > MAX_FILE_BYTES:
        return None, _("The file is larger than 5 MB; a certificate is much smaller.")
    return check_submission(raw, upload.filename)


@bp.route("/verify", methods=["GET", "POST"])
@body_limit(6_000_000)      # a certificate file of at most 5 MB, and the form
@limiter.limit(_anonymous_limit, methods=["POST"], exempt_when=trusted_checker)
def verify_upload():
    form = ActionForm()
    submission, problem = None, None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        submission, problem = _submitted()
    return render_template("credentials/upload.html", form=form, submission=submission, problem=problem,
                           paste_max=MAX_PASTE_CHARS)


# ---------------------------------------------------------------- administrators

@bp.get("/admin/credentials")
@role_required("admin")
def register():
    q, status = request.args.get("q", "")[:svc.SEARCH_MAX], request.args.get("status", "")
    creds = svc.register_page(q, status, page=requested_page())
    claims = list(db.session.scalars(select(ExperienceClaim).where(ExperienceClaim.state == ReviewState.PENDING)
                                     .options(selectinload(ExperienceClaim.user)).order_by(ExperienceClaim.created_at)))
    from lms.credentials.models import CpdActivity
    cpd_pending = list(db.session.scalars(
        select(CpdActivity).where(CpdActivity.state == ReviewState.PENDING).order_by(CpdActivity.created_at)
        .options(selectinload(CpdActivity.credential).selectinload(Credential.holder),
                 selectinload(CpdActivity.credential).selectinload(Credential.programme))))
    from lms.catalog.models import Course
    courses = list(db.session.scalars(select(Course).where(Course.status == CourseStatus.PUBLISHED).order_by(Course.code)))
    return render_template("credentials/register.html", creds=creds, claims=claims, form=ActionForm(),
                           statuses={c.id: svc.status_of(c) for c in creds.items}, live=svc.live_pairs(creds.items),
                           cpd_pending=cpd_pending, courses=courses, q=q, status=status)


@bp.post("/admin/credentials/cohort")
@role_required("admin")
def cohort():
    from lms.jobs import enqueue
    if not ActionForm().validate_on_submit():
        abort(400)
    slug = request.form.get("course") or None
    queued, result = enqueue("lms.credentials.services.issue_for_cohort", slug)
    db.session.commit()
    if queued:
        flash(_("Queued: a background worker checks every trainee and issues what is due."), "success")
    else:
        flash(_("Every trainee checked: %(n)d certificate(s) issued or sent for approval.", n=result), "success")
    return redirect(url_for("credentials.register"))


CONFIRMED_ACTIONS = ("revoke", "suspend", "reissue")       # asked once more, on a page naming what is done


def _back() -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else url_for("credentials.register")


@bp.post("/admin/credentials/<public_id>/<action>")
@role_required("admin")
def act(public_id: str, action: str):
    cred = svc.by_public_id(public_id)
    if cred is None or action not in ("approve", "reject", "unsuspend", *CONFIRMED_ACTIONS):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    reason = request.form.get("reason", "")
    if action in CONFIRMED_ACTIONS and request.form.get("confirm") != "yes":
        try:
            svc.check_action(action, cred, reason)
        except svc.CredentialError as exc:
            flash(str(exc), "error")
            return redirect(_back())
        return render_template("credentials/confirm.html", cred=cred, action=action, reason=reason.strip(),
                               status=svc.status_of(cred), form=ActionForm(), back=_back())
    try:
        if action == "approve":
            svc.approve(current_user, cred)
        elif action == "reject":
            svc.reject(current_user, cred, reason)
        elif action == "revoke":
            svc.revoke(current_user, cred, reason)
        elif action == "suspend":
            svc.suspend(current_user, cred, reason)
        elif action == "reissue":
            svc.reissue(current_user, cred, reason)
        else:
            svc.unsuspend(current_user, cred, reason)
    except (svc.CredentialError, keys.NoSigningKey) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash({"approve": _("Certificate issued."), "reject": _("Request rejected."),
               "revoke": _("Certificate revoked; the holder has been told."),
               "suspend": _("Certificate suspended; the holder has been told."),
               "reissue": _("A new certificate has been issued; the holder has been told."),
               "unsuspend": _("Suspension lifted; the holder has been told.")}[action], "success")
    return redirect(_back())


@bp.post("/admin/experience/<int:claim_id>/<action>")
@role_required("admin")
def review_claim(claim_id: int, action: str):
    claim = db.session.get(ExperienceClaim, claim_id)
    if claim is None or claim.state != ReviewState.PENDING or action not in ("approve", "reject"):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    claim.state = ReviewState.APPROVED if action == "approve" else ReviewState.REJECTED
    claim.reviewed_by_id, claim.reviewed_at = current_user.id, utcnow()
    claim.note = request.form.get("note", "").strip() or None
    from lms.accounts.services import audit
    audit(current_user, f"experience.{action}", claim.user.public_id, f"{claim.years} years")
    if claim.state == ReviewState.APPROVED:
        svc.check_after_commit(claim.user)
    db.session.commit()
    flash(_("Declaration reviewed."), "success")
    return redirect(url_for("credentials.register"))


def connect_signals() -> None:
    from lms import signals
    from lms.credentials import cpd
    signals.storage_usage.connect(cpd.evidence_bytes, weak=False)
    signals.progress_changed.connect(svc.on_progress, weak=False)
    signals.project_released.connect(svc.on_project_released, weak=False)


# ---------------------------------------------------------------- CPD and renewal

def _own_credential(public_id: str) -> Credential:
    cred = svc.by_public_id(public_id)
    if cred is None or cred.holder_id != current_user.id:
        abort(404)
    return cred


@bp.route("/certificates/<public_id>/cpd", methods=["GET", "POST"])
@body_limit("UPLOAD_REQUEST_MAX_BYTES")
@login_required
def cpd_log(public_id: str):
    from datetime import date

    from lms.credentials import cpd
    cred = _own_credential(public_id)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            done_on = date.fromisoformat(request.form.get("done_on", ""))
        except ValueError:
            done_on = None
        upload = request.files.get("evidence")
        evidence = (upload.filename or "", upload.read()) if upload and upload.filename else None
        try:
            act = cpd.log_activity(current_user, cred, kind=request.form.get("kind", ""),
                                   quantity=request.form.get("quantity", ""), done_on=done_on,
                                   description=request.form.get("description", ""), evidence=evidence)
        except cpd.CpdError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Activity logged; an administrator will review it.") + (
                " " + _("It was picked at random for an audit of its evidence.") if act.audit else ""), "success")
            return redirect(url_for("credentials.cpd_log", public_id=public_id))
    return render_template("credentials/cpd.html", cred=cred, acts=cpd.activities(cred), total=cpd.total(cred),
                           rules=cpd.rules(cred), form=form, today=utcnow().date().isoformat(),
                           can_log=cpd.can_log(cred), room=cpd.evidence_room(cred))


@bp.post("/certificates/<public_id>/renew")
@login_required
def renew(public_id: str):
    from lms.credentials import cpd
    cred = _own_credential(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        cpd.renew(current_user, cred)
    except (cpd.CpdError, keys.NoSigningKey) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("credentials.cpd_log", public_id=public_id))
    db.session.commit()
    flash(_("Renewed: a new certificate with new dates has been issued."), "success")
    return redirect(url_for("credentials.mine"))


@bp.get("/cpd/<public_id>/evidence")
@login_required
def cpd_evidence(public_id: str):
    from flask import send_file

    from lms.credentials.models import CpdActivity
    from lms.projects import uploads
    act = db.session.scalar(select(CpdActivity).where(CpdActivity.public_id == public_id))
    if act is None or act.evidence_stored is None or not (
            act.credential.holder_id == current_user.id or current_user.has_role("admin")):
        abort(404)
    return send_file(uploads.path_of(act.evidence_stored), mimetype=uploads.KINDS[act.evidence_kind][1],
                     as_attachment=True, download_name=act.evidence_name)


@bp.post("/admin/cpd/<public_id>/<action>")
@role_required("admin")
def cpd_review(public_id: str, action: str):
    from lms.credentials import cpd
    from lms.credentials.models import CpdActivity
    act = db.session.scalar(select(CpdActivity).where(CpdActivity.public_id == public_id))
    if act is None or action not in ("approve", "reject"):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        cpd.review(current_user, act, action == "approve", request.form.get("note", ""))
    except cpd.CpdError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("CPD activity reviewed."), "success")
    return redirect(url_for("credentials.register"))


from lms.credentials import public  # noqa: E402,F401  (the issuer's page and the badge images, on this blueprint)
