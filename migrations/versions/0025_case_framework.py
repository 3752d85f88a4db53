"""CASE 1.1: a framework version keeps when its content last changed (an imported package's
lastChangeDateTime), so that export → import → export gives the same package

Revision ID: fa5f6ae8703a
Revises: a2b5d04e7d21
Create Date: 2026-12-08 00:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fa5f6ae8703a'
down_revision = 'a2b5d04e7d21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('frameworks') as batch_op:
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('frameworks') as batch_op:
        batch_op.drop_column('changed_at')
