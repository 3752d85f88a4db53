from flask import Blueprint, abort, render_template

from lms import signals
from lms.frameworks import services
from lms.signals import answers

bp = Blueprint("frameworks", __name__)


@bp.get("/framework")
def tree():
    fw = services.framework_tree()
    if fw is None:
        abort(404)
    return render_template("frameworks/tree.html", fw=fw, versions=services.all_versions(fw.code))


@bp.get("/framework/<code>")
def competency(code: str):
    fw = services.framework_tree()
    comp = services.competency_by_code(code, fw) if fw else None
    if comp is None:
        abort(404)
    # the catalogue is further along the chain: it answers the courses_teaching signal
    courses = [course for found in answers(signals.courses_teaching, comp.code) for course in found]
    return render_template("frameworks/competency.html", fw=fw, comp=comp, courses=courses)
