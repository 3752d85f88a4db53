"""technology worksheets: the evidence behind each indicator's rating, the TRL scale chosen (EU, NASA or
GB/T 22900) and the gap-to-next-level plan (issue 19)

Revision ID: 5c19d7e0a3b2
Revises: 89e36fc80f1b
Create Date: 2026-12-08 01:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c19d7e0a3b2'
down_revision = '89e36fc80f1b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('project_technology_assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating_evidence', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('trl_scale', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('trl_plan', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade():
    with op.batch_alter_table('project_technology_assessments', schema=None) as batch_op:
        batch_op.drop_column('trl_plan')
        batch_op.drop_column('trl_scale')
        batch_op.drop_column('rating_evidence')
