"""Helpers of the achievement tests: the official OB 3.0 schema, and a holder whose real projects were graded."""
from __future__ import annotations

import json
from datetime import timedelta
from functools import cache

from jsonschema import Draft201909Validator
from sqlalchemy import select

from lms.credentials.models import Credential, CredentialState, Programme
from lms.credentials.schemas import FILES, OB_ACHIEVEMENT_CREDENTIAL, SCHEMAS_DIR
from lms.db import utcnow
from lms.extensions import db
from lms.projects.models import Brief, Project, ProjectStatus

# 1EdTech's official schema, as published (the product's copy: lms/credentials/schemas/)
SCHEMA = SCHEMAS_DIR / FILES[OB_ACHIEVEMENT_CREDENTIAL]


@cache
def _schema() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def ob_schema_errors(doc: dict, definition: str | None = None) -> list[str]:
    """What the official OB 3.0 AchievementCredential schema (Draft 2019-09) finds wrong with ``doc``; with
    ``definition`` (e.g. "Achievement"), against that class of the same schema."""
    schema = _schema()
    if definition:
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in Draft201909Validator(schema).iter_errors(doc)]


def graded_project(holder, course_slug: str, brief_key: str, score: float, **fields) -> Project:
    """A released real project of ``holder`` for that brief, agreed by its examiners at ``score``."""
    from lms.catalog.models import Course
    brief = db.session.scalar(select(Brief).join(Course).where(Course.slug == course_slug, Brief.key == brief_key))
    values = {"title": "Evaluating a solid-state electrolyte", "description": "A lab's electrolyte for a licensee.",
              "trainee_role": "I wrote the evaluation.", "sponsor_org": "Acme Batteries", "sponsor_kind": "company",
              "sponsor_name": "Ms Sponsor", "sponsor_email": "sponsor@acme.example", **fields}
    project = Project(brief=brief, trainee_id=holder.id, status=ProjectStatus.RELEASED, final_score=score,
                      passed=True, released_at=utcnow() - timedelta(days=1), **values)
    db.session.add(project)
    db.session.flush()
    return project


def practitioner_request(holder, projects: list[Project] | None, evidence: list[dict]) -> Credential:
    """A pending Practitioner credential whose stored evidence is ``evidence`` (requirement facts) and, unless
    ``projects`` is None (a request recorded before the projects were), the projects that met them."""
    prog = db.session.scalar(select(Programme).where(Programme.key == "practitioner"))
    summary = {"requirements": evidence}
    if projects is not None:
        summary["projects"] = [p.public_id for p in projects]
    cred = Credential(holder=holder, programme=prog, state=CredentialState.PENDING, evidence_summary=summary)
    db.session.add(cred)
    db.session.flush()
    return cred
