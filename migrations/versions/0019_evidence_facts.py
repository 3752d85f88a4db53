"""evidence as facts: a credential's evidence summary keeps, per requirement, facts (kind, state code,
numbers, dates, titles as content pairs) and the words are made when it is shown, in the reader's language.
Summaries stored before this revision hold words in the language of the request that issued them; they
cannot be turned back into facts, so they are cleared (the signed credential, which is the record, is
unchanged; its public page then shows no "how the requirements were met" list).

Revision ID: 7789d8325e95
Revises: 41f4e2300435
Create Date: 2026-12-07 21:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7789d8325e95'
down_revision = '41f4e2300435'
branch_labels = None
depends_on = None

credentials = sa.table('credentials', sa.column('id', sa.Integer), sa.column('evidence_summary', sa.JSON))


def _in_words(summary) -> bool:
    items = summary.get('requirements') if isinstance(summary, dict) else None
    return isinstance(items, list) and any(isinstance(i, dict) and 'label' in i for i in items)


def upgrade():
    conn = op.get_bind()
    rows = conn.execute(sa.select(credentials.c.id, credentials.c.evidence_summary)
                        .where(credentials.c.evidence_summary.is_not(None))).all()
    stale = [row.id for row in rows if _in_words(row.evidence_summary)]
    for start in range(0, len(stale), 500):
        conn.execute(credentials.update().where(credentials.c.id.in_(stale[start:start + 500]))
                     .values(evidence_summary=sa.null()))


def downgrade():
    pass        # the words cleared by the upgrade are gone; facts stored since are left as they are
