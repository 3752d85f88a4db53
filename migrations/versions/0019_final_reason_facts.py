"""final reason as facts: how a project's final grade was reached is stored as a rule with its numbers and ids
(projects.final_basis, JSON) instead of an English sentence (projects.final_reason); the page words it in the
reader's language. Sentences of the known shapes are converted; any other text is kept as a legacy note shown
as it is.

Revision ID: 8ebc73f6a03f
Revises: 41f4e2300435
Create Date: 2026-12-07 22:00:00

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8ebc73f6a03f'
down_revision = '41f4e2300435'
branch_labels = None
depends_on = None

_NUM = r"(-?[0-9.]+(?:e[-+]?[0-9]+)?)"
_MEAN = re.compile(rf"mean of the two examiners' grades \({_NUM} and {_NUM}; difference {_NUM} ≤ {_NUM}, "
                   r"same pass/fail\)\Z")
_THIRD = re.compile(rf"third examiner: mean of the two closest grades \({_NUM} and {_NUM}; "
                    rf"all three: {_NUM}, {_NUM}, {_NUM}\)\Z")
_AGREED = re.compile(r"agreed by .* after reconciliation: ", re.S)

_projects = sa.table('projects', sa.column('id', sa.Integer), sa.column('final_reason', sa.Text),
                     sa.column('final_basis', sa.JSON))


def _agreed_grade(conn, project_id):
    return conn.execute(sa.text(
        "SELECT examiner_id, reason FROM project_grades WHERE project_id = :p AND role = 'agreed' "
        "AND submitted_at IS NOT NULL ORDER BY id"), {"p": project_id}).first()


def basis_from_sentence(conn, project_id, text):
    """The facts a stored sentence says, or the sentence kept as a legacy note."""
    if text == "single examiner":
        return {"rule": "single"}
    if m := _MEAN.match(text):
        a, b, _difference, limit = (float(x) for x in m.groups())
        return {"rule": "mean", "totals": [a, b], "limit": limit}
    if m := _THIRD.match(text):
        x, y, a, b, c = (float(v) for v in m.groups())
        return {"rule": "third", "closest": [x, y], "totals": [a, b, c]}
    if _AGREED.match(text) and (row := _agreed_grade(conn, project_id)) is not None:
        return {"rule": "agreed", "examiner_id": row[0], "reason": row[1]}
    return {"rule": "legacy", "text": text}


def _g(x):
    return f"{x:g}"


def sentence_from_basis(conn, basis):
    """The English sentence stored before this revision."""
    rule = basis.get("rule")
    if rule == "single":
        return "single examiner"
    if rule == "mean":
        a, b = basis["totals"]
        return (f"mean of the two examiners' grades ({_g(a)} and {_g(b)}; difference {_g(abs(a - b))} ≤ "
                f"{_g(basis['limit'])}, same pass/fail)")
    if rule == "third":
        x, y = basis["closest"]
        a, b, c = basis["totals"]
        return f"third examiner: mean of the two closest grades ({_g(x)} and {_g(y)}; all three: {_g(a)}, {_g(b)}, {_g(c)})"
    if rule == "agreed":
        row = conn.execute(sa.text("SELECT name_zh, name_latin, email FROM users WHERE id = :u"),
                           {"u": basis["examiner_id"]}).first()
        name = next((v for v in row if v), "") if row else ""
        return f"agreed by {name} after reconciliation: {basis.get('reason')}"
    return basis.get("text")


def _altering_projects():
    """Plain ALTER TABLE (SQLite 3.35+ drops a column in place): recreating the table would, with SQLite's foreign
    keys on, delete the grades, examiners and submissions of every project by cascade."""
    return op.batch_alter_table('projects', schema=None, recreate='never')


def upgrade():
    with _altering_projects() as batch_op:
        batch_op.add_column(sa.Column('final_basis', sa.JSON(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(_projects.c.id, _projects.c.final_reason)
                        .where(_projects.c.final_reason.is_not(None))).all()
    for project_id, text in rows:
        conn.execute(_projects.update().where(_projects.c.id == project_id)
                     .values(final_basis=basis_from_sentence(conn, project_id, text)))
    with _altering_projects() as batch_op:
        batch_op.drop_column('final_reason')


def downgrade():
    with _altering_projects() as batch_op:
        batch_op.add_column(sa.Column('final_reason', sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(_projects.c.id, _projects.c.final_basis)
                        .where(_projects.c.final_basis.is_not(None))).all()
    for project_id, basis in rows:
        if not basis:           # a JSON null
            continue
        conn.execute(_projects.update().where(_projects.c.id == project_id)
                     .values(final_reason=sentence_from_basis(conn, basis)))
    with _altering_projects() as batch_op:
        batch_op.drop_column('final_basis')
