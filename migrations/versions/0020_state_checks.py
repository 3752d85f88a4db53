"""state checks: every column holding one of a fixed set of strings (a state, status, role, decision, kind or
quiz setting) refuses any value but its enum's

Rows are checked first: a value outside the set stops the upgrade with a message naming the table, the
column and the value (no legacy values are known, so none is mapped). On SQLite each table is rebuilt
(batch mode) with foreign keys off, so rebuilding a table never cascades to the rows that refer to it.

Revision ID: 1a1d1ba3e7c9
Revises: 8ebc73f6a03f
Create Date: 2026-12-07 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1a1d1ba3e7c9'
down_revision = '8ebc73f6a03f'
branch_labels = None
depends_on = None

# table -> column -> the values it may hold (as the models' enums had them at this revision)
CHECKS = {
    "organisations": {"kind": ("university", "institute", "company", "intermediary", "government", "other")},
    "user_roles": {"role": ("trainee", "instructor", "employer", "admin")},
    "questions": {"status": ("ready", "draft")},
    "quizzes": {"kind": ("quiz", "diagnostic"), "grading_method": ("highest", "first", "last", "average"),
                "review_feedback": ("after_submit", "after_close", "never"),
                "review_answers": ("after_submit", "after_close", "never")},
    "attempts": {"state": ("prepared", "open", "submitted", "graded")},
    "courses": {"status": ("draft", "outline", "published")},
    "programmes": {"approval": ("automatic", "admin")},
    "status_lists": {"purpose": ("revocation", "suspension")},
    "credentials": {"state": ("pending", "active", "revoked", "superseded", "rejected")},
    "experience_claims": {"state": ("pending", "approved", "rejected")},
    "cpd_activities": {"state": ("pending", "approved", "rejected")},
    "projects": {"sponsor_decision": ("confirmed", "declined"),
                 "sponsor_kind": ("company", "university", "institute", "other"),
                 "status": ("awaiting_sponsor", "declined", "confirmed", "submitted", "grading", "reconciliation",
                            "awaiting_defence", "ready", "released")},
    "project_examiners": {"role": ("lecturer", "practitioner", "third")},
    "project_grades": {"role": ("lecturer", "practitioner", "third", "agreed")},
}


def _condition(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _refuse_unknown_values(conn):
    for table, columns in CHECKS.items():
        for column, values in columns.items():
            bad = conn.execute(sa.text(f"SELECT DISTINCT {column} FROM {table} "
                                       f"WHERE {column} IS NOT NULL AND NOT ({_condition(column, values)})"))
            found = sorted(row[0] for row in bad)
            if found:
                raise RuntimeError(f"{table}.{column} holds {', '.join(map(repr, found))}, which is not one of "
                                   f"{', '.join(values)}: correct those rows, then run the upgrade again")


def upgrade():
    # SQLite rebuilds each table to add its checks; migrations/env.py runs every migration there with foreign
    # keys off (and checks them after), so the rebuild deletes no row that refers to a rebuilt table.
    conn = op.get_bind()
    _refuse_unknown_values(conn)
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(op.f(f"ck_{table}_{column}"), _condition(column, values))


def downgrade():
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
