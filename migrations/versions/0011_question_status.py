"""question status: a draft question (Moodle's "Draft") is never drawn at random into an exam

Revision ID: 5c2d9e7a1f30
Revises: 64e0663bfe51
Create Date: 2026-11-26 12:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c2d9e7a1f30'
down_revision = '64e0663bfe51'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=10), server_default='ready', nullable=False))


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('status')
