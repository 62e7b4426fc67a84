"""Index audit events by client address, action and time (login throttling per address)

Revision ID: d41e9a7c2f58
Revises: b8d2f4a61c07
Create Date: 2026-11-28 14:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd41e9a7c2f58'
down_revision = 'b8d2f4a61c07'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_ip_action_at', ['ip', 'action', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_ip_action_at')
