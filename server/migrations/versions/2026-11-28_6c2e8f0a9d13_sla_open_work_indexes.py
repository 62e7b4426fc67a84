"""SLA: partial indexes of open tasks and open cases for the dashboard (index-only on PostgreSQL)

Revision ID: 6c2e8f0a9d13
Revises: d41e9a7c2f58
Create Date: 2026-11-28 12:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '6c2e8f0a9d13'
down_revision = 'd41e9a7c2f58'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_status_due')
        batch_op.create_index('ix_task_open_due', ['due_at'], unique=False, postgresql_where=OPEN,
                              sqlite_where=OPEN, postgresql_include=['id', 'case_id', 'paused_since',
                                                                      'warn_at', 'group_id', 'assignee_id',
                                                                      'bpmn_id', 'name'])
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_open_unit', ['unit_id'], unique=False, postgresql_where=OPEN,
                              sqlite_where=OPEN, postgresql_include=['id', 'workflow_version_id'])
    with op.batch_alter_table('task_sla', schema=None) as batch_op:
        batch_op.create_index('ix_task_sla_legal', ['task_id'], unique=False,
                              postgresql_where=sa.text('never_suppress'), sqlite_where=sa.text('never_suppress'))


def downgrade():
    with op.batch_alter_table('task_sla', schema=None) as batch_op:
        batch_op.drop_index('ix_task_sla_legal')
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_open_unit')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_open_due')
        batch_op.create_index('ix_task_status_due', ['status', 'due_at'], unique=False)
