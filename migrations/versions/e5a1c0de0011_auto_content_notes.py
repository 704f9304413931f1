"""auto content notes: posts and chat messages the pipeline put in crisis or overdose are shown
to other members behind a note

Revision ID: e5a1c0de0011
Revises: e5a1c0de0010
Create Date: 2026-12-04 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a1c0de0011'
down_revision = 'e5a1c0de0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_note', sa.String(length=32), nullable=True))
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_note', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_column('auto_note')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('auto_note')
