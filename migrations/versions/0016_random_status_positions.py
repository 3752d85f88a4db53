"""random status-list positions: a credential's position in the status lists is drawn at random, so the
lists do not tell how many certificates were issued and in what order. The sequential counter goes; a
unique constraint keeps two credentials off one position (existing credentials keep theirs).

Revision ID: 979bcb32a758
Revises: b81f4c2e9a07
Create Date: 2026-12-07 18:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '979bcb32a758'
down_revision = 'b81f4c2e9a07'
branch_labels = None
depends_on = None

LIST_SIZE = 131_072


def upgrade():
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_credentials_status_list_status_index'),
                                          ['status_list', 'status_index'])
    op.drop_table('status_counters')


def downgrade():
    counters = op.create_table('status_counters',
                               sa.Column('id', sa.Integer(), nullable=False),
                               sa.Column('next_index', sa.Integer(), nullable=False),
                               sa.PrimaryKeyConstraint('id', name=op.f('pk_status_counters')))
    # the sequential counter resumes after the highest position taken, so it never meets a drawn one
    highest = op.get_bind().execute(sa.text(
        "SELECT MAX((status_list - 1) * :size + status_index) FROM credentials WHERE status_list IS NOT NULL"),
        {"size": LIST_SIZE}).scalar()
    if highest is not None:
        op.bulk_insert(counters, [{'id': 1, 'next_index': int(highest) + 1}])
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_credentials_status_list_status_index'), type_='unique')
