"""bank owners: the course a question bank belongs to, and the instructor who created it (who may manage it)

Revision ID: 61a5301d9775
Revises: 59296868be56
Create Date: 2026-12-07 18:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '61a5301d9775'
down_revision = '59296868be56'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('question_banks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('course_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_question_banks_course_id'), ['course_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_question_banks_course_id_courses'), 'courses', ['course_id'],
                                    ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_question_banks_created_by_id_users'), 'users', ['created_by_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('question_banks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_question_banks_created_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_question_banks_course_id_courses'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_question_banks_course_id'))
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('course_id')
