"""Reading the framework for pages."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.extensions import db
from lms.frameworks.loader import current_framework
from lms.frameworks.models import Competency, Domain, Framework


def framework_tree(code: str | None = None) -> Framework | None:
    """The current framework with its whole tree, loaded in a fixed number of queries."""
    query = select(Framework).where(Framework.is_current.is_(True)).options(
        selectinload(Framework.levels),
        selectinload(Framework.domains).selectinload(Domain.competencies).selectinload(Competency.descriptors),
        selectinload(Framework.domains).selectinload(Domain.competencies).selectinload(Competency.alignments))
    if code:
        query = query.where(Framework.code == code)
    return db.session.scalars(query.order_by(Framework.id.desc())).first()


def competency_by_code(code: str, framework: Framework) -> Competency | None:
    return db.session.scalar(select(Competency).where(Competency.framework_id == framework.id,
                                                      Competency.code == code))


def all_versions(code: str) -> list[Framework]:
    return list(db.session.scalars(select(Framework).where(Framework.code == code).order_by(Framework.version.desc())))


def current_competencies() -> list[Competency]:
    fw = current_framework()
    if fw is None:
        return []
    return list(db.session.scalars(select(Competency).join(Domain).where(Competency.framework_id == fw.id)
                                   .order_by(Domain.position, Competency.position)))
