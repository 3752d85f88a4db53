"""The framework in CASE 1.1: the read API (``/ims/case/v1p1/...``, public, read-only, cacheable), the
package download, and the administrators' import page.

Every answer is built from the framework (:func:`lms.frameworks.case.build_package`); an identifier is a UUID
(anything else is answered as unknown at once), and no query parameter changes what is done.
"""
from __future__ import annotations

import re
import time
from hashlib import sha256

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SubmitField

from lms.core.limits import body_limit
from lms.extensions import db
from lms.frameworks import case
from lms.frameworks.case_import import MAX_BYTES, CaseImportError, apply_import, plan_import, read_package
from lms.frameworks.models import Competency, Domain, Framework
from lms.limits import IMPORT_FORM_SLACK
from lms.security import role_required

bp = Blueprint("case", __name__)
bp.add_app_template_global(case.document_id, "case_document_id")       # the framework page's download link
API = "/ims/case/v1p1"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CACHE_SECONDS = 300         # what a client or proxy may keep
BUILD_SECONDS = 60          # how long a process keeps a built package (a rubric edited in a brief shows after it)


def exported_frameworks() -> list[Framework]:
    """One framework per code: the current version, or the latest where none is current (a framework imported
    beside ours)."""
    return list(db.session.scalars(select(Framework).where(Framework.id.in_(_exported_ids()))
                                   .order_by(Framework.code)))


def _exported_ids() -> list[int]:
    rows = db.session.execute(select(Framework.id, Framework.code).order_by(
        Framework.code, Framework.is_current.desc(), Framework.version.desc()))
    picked, seen = [], set()
    for fw_id, code in rows:
        if code not in seen:
            seen.add(code)
            picked.append(fw_id)
    return picked


def _load_trees(ids: list[int]) -> list[Framework]:
    if not ids:
        return []
    return list(db.session.scalars(select(Framework).where(Framework.id.in_(ids)).order_by(Framework.code).options(
        selectinload(Framework.levels),
        selectinload(Framework.domains).selectinload(Domain.competencies).selectinload(Competency.descriptors),
        selectinload(Framework.domains).selectinload(Domain.competencies).selectinload(Competency.alignments))))


class _Built:
    """A built package, its objects by kind and identifier, and when it is to be built again."""

    def __init__(self, package: dict, key: tuple):
        self.package, self.key, self.expires = package, key, time.monotonic() + BUILD_SECONDS
        self.index = {(kind, o["identifier"]): o for kind, pool in case.pools(package).items() for o in pool}
        self.body = case.dumps(package)         # the package answer, serialised once
        self.etag = _etag(self.body)


def packages() -> list[dict]:
    """The exported packages, each built at most once per BUILD_SECONDS in a process (an export takes about
    100 ms; a request served from here a few). A new version or an import has a new key and is built at once;
    a changed rubric shows within BUILD_SECONDS."""
    cache = current_app.extensions.setdefault("case_packages", {})
    ids = _exported_ids()
    keys = {row[0]: tuple(row) for row in db.session.execute(
        select(Framework.id, Framework.content_hash, Framework.is_current, Framework.loaded_at, Framework.changed_at)
        .where(Framework.id.in_(ids)))}
    now = time.monotonic()
    stale = [i for i, key in keys.items() if i not in cache or cache[i].key != key or cache[i].expires < now]
    for fw in _load_trees(stale):
        cache[fw.id] = _Built(case.build_package(fw), keys[fw.id])
    return [cache[i] for i in ids]


def _built(doc_id: str) -> _Built | None:
    if not UUID_RE.match(doc_id):
        return None
    return next((b for b in packages() if b.package["CFDocument"]["identifier"] == doc_id), None)


def _etag(body: str) -> str:
    return sha256(body.encode("utf-8")).hexdigest()[:32]


def _json(data: dict | _Built, status: int = 200, download: str | None = None) -> Response:
    body = data.body if isinstance(data, _Built) else case.dumps(data)
    resp = Response(body, status=status, mimetype="application/json")
    resp.headers["Access-Control-Allow-Origin"] = "*"
    if status == 200:
        resp.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
        resp.set_etag(data.etag if isinstance(data, _Built) else _etag(body))
        resp.make_conditional(request)
    if download:
        resp.headers["Content-Disposition"] = f'attachment; filename="{download}"'
    return resp


def not_found(identifier: str) -> Response:
    """CASE's imsx_StatusInfo for an unknown identifier."""
    return _json({"imsx_codeMajor": "failure", "imsx_severity": "error",
                  "imsx_description": f"No object with identifier {identifier[:60]!r}.",
                  "imsx_codeMinor": {"imsx_codeMinorField": [{"imsx_codeMinorFieldName": "sourcedId",
                                                              "imsx_codeMinorFieldValue": "unknownobject"}]}}, 404)


def _document_link(package: dict) -> dict:
    doc = package["CFDocument"]
    return case.link(doc["title"], doc["identifier"], doc["uri"])


def _lookup(kind: str, identifier: str) -> Response:
    """One object of any exported package; with the link to its document where CASE gives one."""
    if UUID_RE.match(identifier):
        for built in packages():
            found = built.index.get((kind, identifier))
            if found is not None:
                if kind in ("item", "association"):
                    found = {**found, "CFDocumentURI": _document_link(built.package)}
                return _json(found)
    return not_found(identifier)


@bp.get(f"{API}/CFDocuments")
def documents():
    return _json({"CFDocuments": [case.package_document(b.package) for b in packages()]})


@bp.get(f"{API}/CFDocuments/<identifier>")
def document(identifier: str):
    found = _built(identifier)
    return _json(case.package_document(found.package)) if found else not_found(identifier)


@bp.get(f"{API}/CFPackages/<identifier>")
def package(identifier: str):
    found = _built(identifier)
    return _json(found) if found else not_found(identifier)


@bp.get(f"{API}/CFPackages/<identifier>.json")
def download(identifier: str):
    found = _built(identifier)
    if not found:
        return not_found(identifier)
    doc = found.package["CFDocument"]
    name = f"{doc['title'][:60]} CASE {doc['version']}.json".replace('"', "").encode("ascii", "ignore").decode()
    return _json(found, download=name)


@bp.get(f"{API}/CFItems/<identifier>")
def item(identifier: str):
    return _lookup("item", identifier)


@bp.get(f"{API}/CFAssociations/<identifier>")
def association(identifier: str):
    return _lookup("association", identifier)


@bp.get(f"{API}/CFItemTypes/<identifier>")
def item_type(identifier: str):
    return _lookup("item_type", identifier)


@bp.get(f"{API}/CFAssociationGroupings/<identifier>")
def grouping(identifier: str):
    return _lookup("grouping", identifier)


@bp.get(f"{API}/CFRubrics/<identifier>")
def rubric(identifier: str):
    return _lookup("rubric", identifier)


# ---------------------------------------------------------------- the administrators' import

class CaseImportForm(FlaskForm):
    file = FileField(_l("CASE 1.1 package (JSON, at most 5 MB)"), validators=[FileRequired()])
    check = SubmitField(_l("Check"))
    submit = SubmitField(_l("Import"))


@bp.route("/admin/framework/case-import", methods=["GET", "POST"])
@body_limit(MAX_BYTES + IMPORT_FORM_SLACK)
@role_required("admin")
def import_package():
    form = CaseImportForm()
    plan, errors = None, []
    if form.validate_on_submit():
        try:
            plan = plan_import(read_package(form.file.data.read(MAX_BYTES + 1)))
        except CaseImportError as exc:
            errors = exc.errors
        if plan is not None and form.submit.data:
            fw = apply_import(plan)
            db.session.commit()
            flash(_("Imported: %(code)s version %(v)d.", code=fw.code, v=fw.version) if not plan.unchanged
                  else _("Nothing changed: %(code)s version %(v)d already has this content.", code=fw.code,
                         v=fw.version), "success")
            return redirect(url_for("case.import_package"))
    elif form.is_submitted():
        errors = [_("Choose a CASE package file (JSON).")]
    return render_template("frameworks/case_import.html", form=form, plan=plan, errors=errors,
                           frameworks=exported_frameworks(), document_id=case.document_id)

