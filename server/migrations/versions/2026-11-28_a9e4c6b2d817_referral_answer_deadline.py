"""Referral answer deadlines: when an unanswered referral becomes overdue, and when that was told

Revision ID: a9e4c6b2d817
Revises: f3b7c1d9e042
Create Date: 2026-11-28 08:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import server.db

# revision identifiers, used by Alembic.
revision = 'a9e4c6b2d817'
down_revision = 'f3b7c1d9e042'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_due_at', server.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('overdue_notified_at', server.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_referral_status_answer_due', ['status', 'answer_due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_status_answer_due')
        batch_op.drop_column('overdue_notified_at')
        batch_op.drop_column('answer_due_at')
