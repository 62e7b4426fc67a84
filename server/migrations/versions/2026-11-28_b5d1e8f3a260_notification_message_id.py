"""Notifications keep their message id and parameters, so each reader sees them in their own language

Revision ID: b5d1e8f3a260
Revises: a9e4c6b2d817
Create Date: 2026-11-28 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'b5d1e8f3a260'
down_revision = 'a9e4c6b2d817'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                                       'postgresql'),
                                      nullable=False, server_default='{}'))


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('params')
        batch_op.drop_column('message_id')
