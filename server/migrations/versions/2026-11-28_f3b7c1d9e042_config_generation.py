"""A generation token for the per-process caches of office configuration

Revision ID: f3b7c1d9e042
Revises: 6c2e8f0a9d13
Create Date: 2026-11-28 07:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f3b7c1d9e042'
down_revision = '6c2e8f0a9d13'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'config_generation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_config_generation')),
    )
    op.bulk_insert(table, [{'id': 1, 'token': 'initial'}])


def downgrade():
    op.drop_table('config_generation')
