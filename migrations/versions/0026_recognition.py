"""recognition: the partner registry (partners, their issuer identifiers, trusted keys, status lists and recognition
rules) and trainees' recognition requests with what a confirmed one granted (issue 18)

Revision ID: 89e36fc80f1b
Revises: fa5f6ae8703a
Create Date: 2026-12-07 23:59:00.829129

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '89e36fc80f1b'
down_revision = 'fa5f6ae8703a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners')),
    sa.UniqueConstraint('public_id', name=op.f('uq_partners_public_id'))
    )
    op.create_table('partner_issuers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_issuers_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_issuers')),
    sa.UniqueConstraint('identifier', name=op.f('uq_partner_issuers_identifier')),
    sa.UniqueConstraint('public_id', name=op.f('uq_partner_issuers_public_id'))
    )
    with op.batch_alter_table('partner_issuers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_issuers_partner_id'), ['partner_id'], unique=False)

    op.create_table('partner_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.Enum('multikey', 'jwk', name='kind', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('material', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_keys_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_keys')),
    sa.UniqueConstraint('public_id', name=op.f('uq_partner_keys_public_id'))
    )
    with op.batch_alter_table('partner_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_keys_partner_id'), ['partner_id'], unique=False)

    op.create_table('partner_status_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('encoded', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.String(length=40), nullable=True),
    sa.Column('stored_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_status_lists_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_status_lists')),
    sa.UniqueConstraint('url', name=op.f('uq_partner_status_lists_url'))
    )
    with op.batch_alter_table('partner_status_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_status_lists_partner_id'), ['partner_id'], unique=False)

    op.create_table('recognition_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('match_kind', sa.Enum('achievement_id', 'achievement_type', 'alignment', name='match_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('match_value', sa.String(length=500), nullable=False),
    sa.Column('grant_kind', sa.Enum('competency', 'course', 'exam', 'prerequisite', name='grant_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=4), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_recognition_rules_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognition_rules')),
    sa.UniqueConstraint('public_id', name=op.f('uq_recognition_rules_public_id'))
    )
    with op.batch_alter_table('recognition_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recognition_rules_partner_id'), ['partner_id'], unique=False)

    op.create_table('recognition_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('refused_check', 'pending', 'confirmed', 'refused', 'withdrawn', name='state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('refusal', sa.String(length=30), nullable=True),
    sa.Column('credential_ref', sa.String(length=64), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('document', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_recognition_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_recognition_requests_partner_id_partners'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recognition_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognition_requests')),
    sa.UniqueConstraint('public_id', name=op.f('uq_recognition_requests_public_id'))
    )
    with op.batch_alter_table('recognition_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recognition_requests_credential_ref'), ['credential_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_recognition_requests_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recognition_requests_submitted_at'), ['submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_recognition_requests_user_id'), ['user_id'], unique=False)

    op.create_table('recognition_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('competency', 'course', 'exam', 'prerequisite', name='kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=4), nullable=True),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('evidence_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_recognition_grants_evidence_id_evidence'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['recognition_requests.id'], name=op.f('fk_recognition_grants_request_id_recognition_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognition_grants'))
    )
    with op.batch_alter_table('recognition_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recognition_grants_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table('recognition_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recognition_grants_request_id'))

    op.drop_table('recognition_grants')
    with op.batch_alter_table('recognition_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recognition_requests_user_id'))
        batch_op.drop_index(batch_op.f('ix_recognition_requests_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_recognition_requests_partner_id'))
        batch_op.drop_index(batch_op.f('ix_recognition_requests_credential_ref'))

    op.drop_table('recognition_requests')
    with op.batch_alter_table('recognition_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recognition_rules_partner_id'))

    op.drop_table('recognition_rules')
    with op.batch_alter_table('partner_status_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_status_lists_partner_id'))

    op.drop_table('partner_status_lists')
    with op.batch_alter_table('partner_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_keys_partner_id'))

    op.drop_table('partner_keys')
    with op.batch_alter_table('partner_issuers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_issuers_partner_id'))

    op.drop_table('partner_issuers')
    op.drop_table('partners')
