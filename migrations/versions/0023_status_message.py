"""status message lists: a status list may have the purpose "message" (one 2-bit entry per credential says
valid, suspended or revoked; lms/credentials/statuslist.py), beside the revocation and suspension lists that
credentials issued before keep naming

Revision ID: 6c2c5522603f
Revises: e1d3c8d3fded
Create Date: 2026-12-08 00:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '6c2c5522603f'
down_revision = 'e1d3c8d3fded'
branch_labels = None
depends_on = None

OLD = ("revocation", "suspension")
NEW = ("revocation", "suspension", "message")


def _condition(values):
    return f"purpose IN ({', '.join(repr(v) for v in values)})"


def _replace_check(values):
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_status_lists_purpose"), type_="check")
        batch_op.create_check_constraint(op.f("ck_status_lists_purpose"), _condition(values))


def upgrade():
    _replace_check(NEW)


def downgrade():
    conn = op.get_bind()
    if conn.execute(sa.text("SELECT COUNT(*) FROM status_lists WHERE purpose = 'message'")).scalar():
        raise RuntimeError("status_lists holds message lists, which credentials issued since name: "
                           "a downgrade would lose their status")
    _replace_check(OLD)
