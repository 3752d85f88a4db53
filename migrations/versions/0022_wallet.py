"""wallet: credential offers to holders' wallets (OID4VCI pre-authorized codes, access tokens) and the wallet
copies issued through them

Revision ID: e1d3c8d3fded
Revises: d117f666d766
Create Date: 2026-12-08 00:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1d3c8d3fded'
down_revision = 'd117f666d766'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'wallet_offers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('credential_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('tx_code_hash', sa.String(length=64), nullable=True),
        sa.Column('state', sa.Enum('offered', 'redeemed', 'issued', 'closed', name='state', native_enum=False,
                                   create_constraint=True, length=20), nullable=False),
        sa.Column('wrong_codes', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('token_expires_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'],
                                name=op.f('fk_wallet_offers_credential_id_credentials'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_offers')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_wallet_offers_code_hash')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_wallet_offers_token_hash')),
    )
    with op.batch_alter_table('wallet_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wallet_offers_credential_id'), ['credential_id'], unique=False)
    op.create_table(
        'wallet_credentials',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('credential_id', sa.Integer(), nullable=False),
        sa.Column('offer_id', sa.Integer(), nullable=True),
        sa.Column('document_id', sa.String(length=100), nullable=False),
        sa.Column('subject_did', sa.String(length=1200), nullable=False),
        sa.Column('signed_json', sa.Text(), nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'],
                                name=op.f('fk_wallet_credentials_credential_id_credentials'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['offer_id'], ['wallet_offers.id'],
                                name=op.f('fk_wallet_credentials_offer_id_wallet_offers'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_credentials')),
        sa.UniqueConstraint('document_id', name=op.f('uq_wallet_credentials_document_id')),
        sa.UniqueConstraint('public_id', name=op.f('uq_wallet_credentials_public_id')),
    )
    with op.batch_alter_table('wallet_credentials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wallet_credentials_credential_id'), ['credential_id'], unique=False)


def downgrade():
    with op.batch_alter_table('wallet_credentials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wallet_credentials_credential_id'))
    op.drop_table('wallet_credentials')
    with op.batch_alter_table('wallet_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wallet_offers_credential_id'))
    op.drop_table('wallet_offers')
