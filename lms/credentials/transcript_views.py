"""The CE-point transcript's pages and downloads (on the credentials blueprint): a trainee's own at
``/transcript``; an administrator's, or an instructor's of a course the trainee takes, at
``/people/<public id>/transcript``. Each as HTML, CSV, PDF and signed CLR 2.0 JSON."""
from __future__ import annotations

import json

from flask import Response, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from lms.accounts.models import User
from lms.credentials import pdf, transcript, transcript_clr, transcript_files
from lms.credentials.views import bp
from lms.extensions import db, limiter
from lms.i18n import current_lang
from lms.security import login_required

FORMATS = ("csv", "pdf", "json")
DOWNLOAD_LIMIT = "30 per hour"          # each PDF or JSON download signs afresh (one signature per course)


def _holder(public_id: str) -> User:
    holder = db.session.scalar(select(User).where(User.public_id == public_id)) if len(public_id) <= 32 else None
    if holder is None:
        abort(404)
    if not transcript.may_read(current_user, holder):
        abort(403)
    return holder


def _page(holder: User):
    facts = transcript.for_user(holder)
    return render_template("credentials/transcript.html", holder=holder, facts=facts,
                           own=holder.id == current_user.id, per_hour=transcript.CE_POINTS_PER_LIVE_HOUR)


def _file(holder: User, fmt: str) -> Response:
    if fmt not in FORMATS:
        abort(404)
    facts = transcript.for_user(holder)
    name = f"transcript-{holder.public_id[:8]}"
    if fmt == "csv":
        return Response(transcript_files.csv_bytes(facts, current_lang()), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    signed = transcript_clr.signed(facts, holder)
    if fmt == "json":
        return Response(json.dumps(signed, ensure_ascii=False, indent=2), mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}.json"'})
    try:
        data = transcript_files.pdf_bytes(facts, json.dumps(signed, ensure_ascii=False), signed["id"])
    except pdf.FontMissing as exc:
        return render_template("errors/error.html", code=503, error=str(exc)), 503
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})


@bp.get("/transcript")
@login_required
def transcript_page():
    return _page(current_user)


@bp.get("/transcript.<fmt>")
@login_required
@limiter.limit(DOWNLOAD_LIMIT)
def transcript_file(fmt: str):
    return _file(current_user, fmt)


@bp.get("/people/<public_id>/transcript")
@login_required
def person_transcript(public_id: str):
    return _page(_holder(public_id))


@bp.get("/people/<public_id>/transcript.<fmt>")
@login_required
@limiter.limit(DOWNLOAD_LIMIT)
def person_transcript_file(public_id: str, fmt: str):
    return _file(_holder(public_id), fmt)
