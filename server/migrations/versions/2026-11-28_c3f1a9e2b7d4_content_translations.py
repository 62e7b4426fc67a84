"""Content translations edited by admins (form labels, task names...)

Revision ID: c3f1a9e2b7d4
Revises: 5a1c0e7d9b21
Create Date: 2026-11-28 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import server.db

# revision identifiers, used by Alembic.
revision = 'c3f1a9e2b7d4'
down_revision = '5a1c0e7d9b21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('content_translation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('msgid', sa.Text(), nullable=False),
    sa.Column('msgid_hash', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_content_translation_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_translation')),
    sa.UniqueConstraint('locale', 'msgid_hash', name=op.f('uq_content_translation_locale'))
    )
    with op.batch_alter_table('content_translation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_translation_locale'), ['locale'], unique=False)


def downgrade():
    with op.batch_alter_table('content_translation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_translation_locale'))

    op.drop_table('content_translation')
