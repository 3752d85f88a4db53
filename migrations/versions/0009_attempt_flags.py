"""attempt flags: a trainee marks questions of an open attempt to come back to

Revision ID: 3b7e2f9a41c6
Revises: e1809028c5a7
Create Date: 2026-11-26 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b7e2f9a41c6'
down_revision = 'e1809028c5a7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempt_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flagged', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('attempt_items', schema=None) as batch_op:
        batch_op.drop_column('flagged')
