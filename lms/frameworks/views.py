import json

from flask import Blueprint, Response, abort, render_template

from lms import signals
from lms.core.negotiation import JSON_LD, wants_json_ld
from lms.frameworks import jsonld, services
from lms.signals import answers

bp = Blueprint("frameworks", __name__)


@bp.get("/framework")
def tree():
    fw = services.framework_tree()
    if fw is None:
        abort(404)
    if wants_json_ld():
        return _json_ld(jsonld.framework_document(fw))
    return render_template("frameworks/tree.html", fw=fw, versions=services.all_versions(fw.code))


@bp.get("/framework/<code>")
def competency(code: str):
    fw = services.framework_tree()
    comp = services.competency_by_code(code, fw) if fw else None
    if comp is None:
        abort(404)
    if wants_json_ld():
        return _json_ld(jsonld.competency_document(comp, fw))
    # the catalogue is further along the chain: it answers the courses_teaching signal
    courses = [course for found in answers(signals.courses_teaching, comp.code) for course in found]
    return render_template("frameworks/competency.html", fw=fw, comp=comp, courses=courses)


def _json_ld(doc: dict) -> Response:
    resp = Response(json.dumps(doc, ensure_ascii=False, indent=2), mimetype=JSON_LD)
    resp.headers["Access-Control-Allow-Origin"] = "*"          # other systems read the framework from anywhere
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


@bp.after_request
def _vary_on_accept(resp: Response) -> Response:
    resp.vary.add("Accept")            # the same URL answers HTML or JSON-LD
    return resp
