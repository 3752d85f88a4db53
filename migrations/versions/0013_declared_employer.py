"""declared employer: the employer a person types into their profile is kept as text and grants nothing;
only an administrator links an account to an organisation (whose people an employer then sees).

Existing self-declared links are undone: each account keeps the organisation's name as its declared
employer, and stays linked only where an administrator set that link (an audit event 'user.organisation' naming
that organisation for that account; case and surrounding spaces aside).

Revision ID: 59296868be56
Revises: 7e4b1a9c2d55
Create Date: 2026-12-07 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '59296868be56'
down_revision = '7e4b1a9c2d55'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('employer_name', sa.String(length=200), nullable=True))
    op.execute(
        "UPDATE users SET employer_name = (SELECT name FROM organisations WHERE organisations.id = users.organisation_id)"
        " WHERE organisation_id IS NOT NULL")
    # kept: a link to the very organisation an administrator named for this account
    op.execute(
        "UPDATE users SET organisation_id = NULL WHERE organisation_id IS NOT NULL AND NOT EXISTS ("
        "SELECT 1 FROM audit_events WHERE audit_events.action = 'user.organisation'"
        " AND audit_events.target = users.email AND lower(trim(audit_events.detail)) = lower(trim(users.employer_name)))")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('employer_name')
