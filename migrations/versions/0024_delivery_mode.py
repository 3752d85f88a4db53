"""delivery mode of a lesson: live (face-to-face or live online) or self-study (recorded or reading), for the
CE-point transcript; every existing lesson is self-study until its file says otherwise

Revision ID: a2b5d04e7d21
Revises: 6c2c5522603f
Create Date: 2026-12-08 00:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a2b5d04e7d21'
down_revision = '6c2c5522603f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery', sa.String(length=20), nullable=False, server_default='self-study'))
        batch_op.create_check_constraint(op.f('ck_lessons_delivery'), "delivery IN ('live', 'self-study')")


def downgrade():
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_lessons_delivery'), type_='check')
        batch_op.drop_column('delivery')
