from flask import Blueprint, abort, render_template

from lms.frameworks import services

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
    # the catalogue is further along the chain; it registers the courses lookup at start-up
    from flask import current_app
    courses = current_app.extensions["lms.courses_teaching"](comp.code)
    return render_template("frameworks/competency.html", fw=fw, comp=comp, courses=courses)
