"""pending registrations: a new account is created only when the e-mailed confirmation link is followed

Revision ID: b81f4c2e9a07
Revises: 61a5301d9775
Create Date: 2026-12-07 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b81f4c2e9a07'
down_revision = '61a5301d9775'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pending_registrations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('name_zh', sa.String(length=100), nullable=True),
        sa.Column('name_latin', sa.String(length=200), nullable=True),
        sa.Column('locale', sa.String(length=10), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_registrations')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_pending_registrations_token_hash')),
    )
    with op.batch_alter_table('pending_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_registrations_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_registrations_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_registrations_expires_at'))
        batch_op.drop_index(batch_op.f('ix_pending_registrations_email'))
    op.drop_table('pending_registrations')
