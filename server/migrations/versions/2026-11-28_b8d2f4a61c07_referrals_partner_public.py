"""Referrals to partner agencies, consent overrides, case transfers, public complaints, rate limit counter

Revision ID: b8d2f4a61c07
Revises: a77c5e1f0b3d
Create Date: 2026-11-28 03:37:34.111296

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import server.db

# revision identifiers, used by Alembic.
revision = 'b8d2f4a61c07'
down_revision = 'a77c5e1f0b3d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_limit_hit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_limit_hit'))
    )
    with op.batch_alter_table('rate_limit_hit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_hit_at'), ['at'], unique=False)
        batch_op.create_index('ix_rate_limit_hit_key_at', ['key', 'at'], unique=False)

    op.create_table('case_transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_unit_id', sa.Integer(), nullable=True),
    sa.Column('to_unit_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('consent_basis', sa.String(length=40), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', server.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_transfer_case_id_case')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_case_transfer_decided_by_id_user')),
    sa.ForeignKeyConstraint(['from_unit_id'], ['unit.id'], name=op.f('fk_case_transfer_from_unit_id_unit')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_case_transfer_requested_by_id_user')),
    sa.ForeignKeyConstraint(['to_unit_id'], ['unit.id'], name=op.f('fk_case_transfer_to_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_transfer'))
    )
    with op.batch_alter_table('case_transfer', schema=None) as batch_op:
        batch_op.create_index('ix_case_transfer_case_status', ['case_id', 'status'], unique=False)
        batch_op.create_index('ix_case_transfer_to_status', ['to_unit_id', 'status'], unique=False)

    op.create_table('consent_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', server.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_consent_override_case_id_case')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_consent_override_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_override'))
    )
    with op.batch_alter_table('consent_override', schema=None) as batch_op:
        batch_op.create_index('ix_consent_override_case_used', ['case_id', 'used_at'], unique=False)

    op.create_table('public_complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('created_at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_public_complaint_case_id_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_complaint')),
    sa.UniqueConstraint('receipt', name=op.f('uq_public_complaint_receipt'))
    )
    with op.batch_alter_table('public_complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_complaint_case_id'), ['case_id'], unique=False)

    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('agency_code', sa.String(length=64), nullable=False),
    sa.Column('agency_name', sa.String(length=200), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('shared', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('form_version_id', sa.Integer(), nullable=True),
    sa.Column('shares_identity', sa.Boolean(), nullable=False),
    sa.Column('consent_basis', sa.String(length=20), nullable=False),
    sa.Column('override_id', sa.Integer(), nullable=True),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('awaiting_answer', sa.Boolean(), nullable=False),
    sa.Column('respond_by', sa.String(length=32), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', server.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('accepted_at', server.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', server.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('officer', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['partner_agency.id'], name=op.f('fk_referral_agency_id_partner_agency')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user.id'], name=op.f('fk_referral_answered_by_id_user')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_referral_case_id_case')),
    sa.ForeignKeyConstraint(['form_version_id'], ['form_version.id'], name=op.f('fk_referral_form_version_id_form_version')),
    sa.ForeignKeyConstraint(['override_id'], ['consent_override.id'], name=op.f('fk_referral_override_id_consent_override')),
    sa.ForeignKeyConstraint(['previous_id'], ['referral.id'], name=op.f('fk_referral_previous_id_referral')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['user.id'], name=op.f('fk_referral_sent_by_id_user')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_referral_task_id_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral')),
    sa.UniqueConstraint('task_id', name=op.f('uq_referral_task_id'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_agency_status', ['agency_id', 'status'], unique=False)
        batch_op.create_index('ix_referral_case_status', ['case_id', 'status'], unique=False)



def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_case_status')
        batch_op.drop_index('ix_referral_agency_status')

    op.drop_table('referral')
    with op.batch_alter_table('public_complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_complaint_case_id'))

    op.drop_table('public_complaint')
    with op.batch_alter_table('consent_override', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_override_case_used')

    op.drop_table('consent_override')
    with op.batch_alter_table('case_transfer', schema=None) as batch_op:
        batch_op.drop_index('ix_case_transfer_to_status')
        batch_op.drop_index('ix_case_transfer_case_status')

    op.drop_table('case_transfer')
    with op.batch_alter_table('rate_limit_hit', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_limit_hit_key_at')
        batch_op.drop_index(batch_op.f('ix_rate_limit_hit_at'))

    op.drop_table('rate_limit_hit')
