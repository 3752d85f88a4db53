"""Who may do what with a project (shared by views, services and tests), and the feature's error."""
from __future__ import annotations

from sqlalchemy import select

from lms.catalog.models import CourseInstructor
from lms.extensions import db
from lms.projects.models import Brief, Project
from lms.urls import absolute_url

OPEN_STATUSES = ("awaiting_sponsor", "confirmed", "submitted", "grading", "reconciliation", "awaiting_defence", "ready")


class ProjectError(ValueError):
    """A refused action; the message is shown to the user as it is."""


class SponsorLinkUnusable(ProjectError):
    """The sponsor's link cannot be used (any more): expired, forged, replaced or already answered."""


# ---------------------------------------------------------------- who may do what

def is_course_staff(user, brief: Brief) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role("admin"):
        return True
    return user.has_role("instructor") and db.session.scalar(
        select(CourseInstructor.id).where(CourseInstructor.course_id == brief.course_id,
                                          CourseInstructor.user_id == user.id)) is not None


def examiner_role(user, project: Project) -> str | None:
    return next((a.role for a in project.examiners if a.user_id == getattr(user, "id", None)), None)


def can_view(user, project: Project) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (project.trainee_id == user.id or project.coach_id == user.id or examiner_role(user, project) is not None
            or is_course_staff(user, project.brief))


def can_see_details(user, project: Project) -> bool:
    """A confidential project's description, sponsor and files: trainee, coach, examiners and admins only."""
    if not project.confidential:
        return can_view(user, project)
    return (project.trainee_id == user.id or project.coach_id == user.id or examiner_role(user, project) is not None
            or user.has_role("admin"))


def can_download(user, project: Project) -> bool:
    return getattr(user, "is_authenticated", False) and (
        project.trainee_id == user.id or examiner_role(user, project) is not None or user.has_role("admin"))


def can_manage(user, project: Project) -> bool:
    """Assign the coach and examiners, record the defence, release results: course staff and admins."""
    return is_course_staff(user, project.brief)



def project_url(project: Project) -> str:
    return absolute_url("projects.show", public_id=project.public_id)
