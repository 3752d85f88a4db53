"""upload limits and sponsor mail: the size of each CPD evidence file (counted in the holder's storage quota)
and one row per confirmation e-mail sent to a project's sponsor (counted per project per day)

Revision ID: 41f4e2300435
Revises: 10cfe796a901
Create Date: 2026-12-07 18:30:00

"""
from pathlib import Path

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '41f4e2300435'
down_revision = '10cfe796a901'
branch_labels = None
depends_on = None


def _backfill_evidence_sizes():
    """Evidence stored before this revision: its size from the file, where the upload folder is known."""
    try:
        from flask import current_app
        folder = Path(current_app.config["LMS_UPLOAD_DIR"]) / "projects"
    except (RuntimeError, KeyError):
        return
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, evidence_stored FROM cpd_activities WHERE evidence_stored IS NOT NULL"))
    for row_id, stored in rows.all():
        path = folder / stored
        if stored.isalnum() and path.is_file():
            conn.execute(sa.text("UPDATE cpd_activities SET evidence_size = :n WHERE id = :id"),
                         {"n": path.stat().st_size, "id": row_id})


def upgrade():
    op.create_table('project_sponsor_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_sponsor_mails_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_sponsor_mails'))
    )
    with op.batch_alter_table('project_sponsor_mails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_sponsor_mails_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('cpd_activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence_size', sa.Integer(), nullable=True))
    _backfill_evidence_sizes()


def downgrade():
    with op.batch_alter_table('cpd_activities', schema=None) as batch_op:
        batch_op.drop_column('evidence_size')

    with op.batch_alter_table('project_sponsor_mails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_sponsor_mails_project_id'))

    op.drop_table('project_sponsor_mails')
