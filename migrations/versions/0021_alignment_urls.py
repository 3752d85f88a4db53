"""alignment urls and EQF levels: an external alignment may carry its item's own address (an ESCO skill's URI),
and a programme its EQF level (the centre's own referencing)

Revision ID: d117f666d766
Revises: 1a1d1ba3e7c9
Create Date: 2026-12-08 00:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd117f666d766'
down_revision = '1a1d1ba3e7c9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alignments") as batch:
        batch.add_column(sa.Column("url", sa.String(length=300), nullable=True))
    with op.batch_alter_table("programmes") as batch:
        batch.add_column(sa.Column("eqf_level", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("programmes") as batch:
        batch.drop_column("eqf_level")
    with op.batch_alter_table("alignments") as batch:
        batch.drop_column("url")
