"""quiz password: an exam held in a room starts only with the password the invigilator gives (Moodle's
"Require password")

Revision ID: 7e4b1a9c2d55
Revises: 5c2d9e7a1f30
Create Date: 2026-11-26 13:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e4b1a9c2d55'
down_revision = '5c2d9e7a1f30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.drop_column('password')
