"""SLA deadline rows for tasks and cases; task indexes for the SLA dashboard

Revision ID: 5a1c0e7d9b21
Revises: e729f07403f9
Create Date: 2026-11-28 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import server.db

# revision identifiers, used by Alembic.
revision = '5a1c0e7d9b21'
down_revision = 'e729f07403f9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('task_sla',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('policy_key', sa.String(length=64), nullable=True),
    sa.Column('binding', sa.String(length=1), nullable=True),
    sa.Column('never_suppress', sa.Boolean(), nullable=False),
    sa.Column('duration', sa.String(length=50), nullable=False),
    sa.Column('start', sa.String(length=100), nullable=False),
    sa.Column('start_at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('warn_ratio', sa.Float(), nullable=False),
    sa.Column('escalate_to', sa.String(length=64), nullable=True),
    sa.Column('notified_at_risk_at', server.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('notified_breached_at', server.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_sla_task_id_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', name=op.f('pk_task_sla'))
    )
    op.create_table('case_sla',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('duration', sa.String(length=50), nullable=False),
    sa.Column('start_at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('warn_at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('escalate_to', sa.String(length=64), nullable=True),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('notified_at_risk_at', server.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('notified_breached_at', server.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_sla_case_id_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_sla'))
    )
    with op.batch_alter_table('case_sla', schema=None) as batch_op:
        batch_op.create_index('ix_case_sla_state_due', ['state', 'due_at'], unique=False)
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_task_status_completed', ['status', 'completed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_status_completed')
        batch_op.drop_index('ix_task_status_due')
    with op.batch_alter_table('case_sla', schema=None) as batch_op:
        batch_op.drop_index('ix_case_sla_state_due')
    op.drop_table('case_sla')
    op.drop_table('task_sla')
