"""review items: whether the decision needed follow-up, for rule quality over a window

Revision ID: e5a1c0de0012
Revises: e5a1c0de0011
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a1c0de0012'
down_revision = 'e5a1c0de0011'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: items decided before the question existed simply have no answer.
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followup_needed', sa.Boolean(), nullable=True))
        batch_op.create_index('ix_review_items_resolved_at', ['resolved_at'], unique=False)


def downgrade():
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_items_resolved_at')
        batch_op.drop_column('followup_needed')
