"""Into the holder's wallet: OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow.

Public, machine-facing: the credential issuer's and the authorization server's metadata, the token, nonce and
credential endpoints (the ``oid4vci`` blueprint, exempt from CSRF: a wallet authenticates with the
pre-authorized code, then a bearer access token, never with the session cookie, so there is no ambient
credential for a forged request to ride on). For the holder: the wallet page of a certificate, where an offer
(QR code, link and PIN) is made and the copies issued to wallets are listed.
"""
from __future__ import annotations

import json

import segno
from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from lms.accounts.forms import ActionForm
from lms.core.limits import body_limit
from lms.credentials import services as credentials
from lms.extensions import db, limiter
from lms.security import login_required
from lms.wallet import services as svc

bp = Blueprint("wallet", __name__)               # the holder's pages (session cookie, CSRF)
api = Blueprint("oid4vci", __name__)             # the wallet's endpoints (no cookie: CSRF exempt)
ENDPOINT_LIMIT = "30 per minute"                 # per address, on each OAuth endpoint
OFFER_LIMIT = "20 per hour"                      # offers a holder makes (each is a row; a new one closes the last)


def _json(data, status: int = 200, cache: int | None = None, headers: dict | None = None) -> Response:
    resp = Response(json.dumps(data, ensure_ascii=False), status=status, mimetype="application/json")
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Cache-Control"] = f"public, max-age={cache}" if cache is not None else "no-store"
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def _error(error: svc.OAuthError) -> Response:
    headers = {"WWW-Authenticate": f'Bearer error="{error.code}"'} if error.status == 401 else None
    return _json({"error": error.code, "error_description": error.description}, error.status, headers=headers)


@api.get("/.well-known/openid-credential-issuer")
def issuer_metadata():
    return _json(svc.issuer_metadata(), cache=300)


@api.get("/.well-known/oauth-authorization-server")
def authorization_server():
    return _json(svc.authorization_server_metadata(), cache=300)


@api.get("/oid4vci/offers/<offer_id>")
@limiter.limit(ENDPOINT_LIMIT)
def offer_object(offer_id: str):
    found = svc.offer_by_reference(offer_id)
    if found is None:
        return _json({"error": "not_found", "error_description": "no such offer, or it was used or expired"}, 404)
    return _json(found)


@api.post("/oid4vci/token")
@body_limit(4_096)
@limiter.limit(ENDPOINT_LIMIT)
def token():
    try:
        answer = svc.redeem(request.form)
    except svc.OAuthError as error:
        db.session.commit()          # a wrong PIN is counted
        return _error(error)
    db.session.commit()
    return _json(answer)


@api.post("/oid4vci/nonce")
@body_limit(1_024)
@limiter.limit(ENDPOINT_LIMIT)
def nonce():
    return _json(svc.new_nonce())


@api.post("/oid4vci/credential")
@body_limit(16_384)
@limiter.limit(ENDPOINT_LIMIT)
def credential():
    try:
        answer = svc.issue_to_wallet(request.headers.get("Authorization"), request.get_json(silent=True))
    except svc.OAuthError as error:
        db.session.rollback()
        return _error(error)
    db.session.commit()
    return _json(answer)


# ---------------------------------------------------------------- the holder

def _own_credential(public_id: str):
    cred = credentials.by_public_id(public_id)
    if cred is None or cred.signed_json is None or cred.holder_id != current_user.id:
        abort(404)
    return cred


def _qr_svg(text: str) -> Markup:
    return Markup(segno.make_qr(text, error="m", boost_error=False).svg_inline(scale=4, border=2,
                                                                              omitsize=True))


@bp.route("/certificates/<public_id>/wallet", methods=["GET", "POST"])
@body_limit(4_096)
@login_required
@limiter.limit(OFFER_LIMIT, methods=["POST"])
def offer(public_id: str):
    cred = _own_credential(public_id)
    form, made = ActionForm(), None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if not svc.in_force(cred):
            abort(403)
        made = svc.make_offer(current_user, cred)
        db.session.commit()
    return render_template("wallet/offer.html", cred=cred, form=form, made=made, in_force=svc.in_force(cred),
                           qr=_qr_svg(made.uri) if made else None, copies=svc.copies_of(cred),
                           minutes=svc.OFFER_MINUTES, status=credentials.status_of(cred))


def certificate_links(cred, **_payload):
    """signals.certificate_links: "Add to a wallet" for a certificate in force."""
    if not svc.in_force(cred):
        return []
    return [(_l("Add to a wallet"), url_for("wallet.offer", public_id=cred.public_id))]


def connect_signals() -> None:
    from lms import signals
    signals.certificate_links.connect(certificate_links)
    signals.credential_copy.connect(svc.stored_copy)
