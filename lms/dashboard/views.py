"""One dashboard per role, after login; only what exists is shown."""
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from lms.accounts.models import AuditEvent, User
from lms.accounts.services import count_by_role
from lms.assessment import exams, grading
from lms.catalog import services as catalog
from lms.catalog.models import Course
from lms.extensions import db
from lms.frameworks.loader import current_framework
from lms.projects import services as projects
from lms.security import login_required

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@login_required
def home():
    user = current_user
    ctx = {}
    if user.has_role("trainee") or not user.role_names:
        enrolments = catalog.user_enrolments(user)
        ctx["enrolments"] = enrolments
        ctx["progress"] = catalog.progress_for(user, enrolments)
    if user.has_role("trainee"):
        ctx["my_projects"] = projects.trainee_projects(user)
    ctx["open_attempts"] = exams.open_attempts_of(user)       # an exam left open: the way back to it
    if user.has_role("instructor") or user.has_role("admin"):
        ctx["project_queue"] = len(projects.grading_queue(user))
        courses = catalog.instructor_courses(user)
        ctx["essay_queue"] = grading.grading_queue_size(None if user.has_role("admin") else [c.id for c in courses],
                                                      user.id)
        ctx["teaching"] = courses
        ctx["teaching_counts"] = catalog.enrolment_counts([c.id for c in courses])
    if user.has_role("employer") and user.organisation is not None:
        ctx["org_members"] = list(db.session.scalars(select(User).where(
            User.organisation_id == user.organisation_id).order_by(User.name_latin)))
    if user.has_role("admin"):
        ctx["role_counts"] = count_by_role()
        ctx["user_total"] = db.session.scalar(select(func.count()).select_from(User))
        ctx["course_status"] = dict(db.session.execute(select(Course.status, func.count()).group_by(Course.status)).all())
        ctx["framework"] = current_framework()
        ctx["audit"] = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(10)))
    return render_template("dashboard/home.html", seconds_left=exams.seconds_left, **ctx)
