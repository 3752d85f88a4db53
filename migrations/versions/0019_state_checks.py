"""state checks: every column holding one of a fixed set of strings (a state, status, role, decision, kind or
quiz setting) refuses any value but its enum's

Rows are checked first: a value outside the set stops the upgrade with a message naming the table, the
column and the value (no legacy values are known, so none is mapped). On SQLite each table is rebuilt
(batch mode) with foreign keys off, so rebuilding a table never cascades to the rows that refer to it.

Revision ID: 1a1d1ba3e7c9
Revises: 41f4e2300435
Create Date: 2026-12-07 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1a1d1ba3e7c9'
down_revision = '41f4e2300435'
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


def _foreign_keys_off(conn):
    """SQLite: rebuilding a table drops the old one, and with foreign keys on that deletes (cascades to) the
    rows that refer to it. The pragma only takes effect outside a transaction; a database upgraded from
    empty in one run has one open, and then no table may hold rows yet."""
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if conn.exec_driver_sql("PRAGMA foreign_keys").scalar():
        filled = [t for t in CHECKS if conn.execute(sa.text(f"SELECT 1 FROM {t} LIMIT 1")).first()]
        if filled:
            raise RuntimeError("foreign keys cannot be switched off inside the running transaction, and "
                               f"{', '.join(filled)} hold rows: run this revision on its own "
                               "(flask db upgrade 41f4e2300435, then flask db upgrade)")


def _foreign_keys_on(conn):
    if conn.dialect.name != "sqlite":
        return
    problems = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if problems:
        raise RuntimeError(f"rows refer to rows that are missing after the rebuild: {problems[:5]}")
    # a no-op inside the migration's transaction: switched on again when the connection goes back to the pool
    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    rebuilt = conn.connection.dbapi_connection

    def _on_again(dbapi_connection, record):
        if dbapi_connection is rebuilt:
            dbapi_connection.execute("PRAGMA foreign_keys=ON")
    sa.event.listen(conn.engine.pool, "checkin", _on_again)


def upgrade():
    conn = op.get_bind()
    _refuse_unknown_values(conn)
    _foreign_keys_off(conn)
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(op.f(f"ck_{table}_{column}"), _condition(column, values))
    _foreign_keys_on(conn)


def downgrade():
    conn = op.get_bind()
    _foreign_keys_off(conn)
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
    _foreign_keys_on(conn)
