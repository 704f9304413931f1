"""users: whether reactions to one's posts arrive as notifications

Revision ID: a4c7e91d2f35
Revises: e5a1c0de0012
Create Date: 2026-12-12 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c7e91d2f35'
down_revision = 'e5a1c0de0012'
branch_labels = None
depends_on = None


def upgrade():
    # On by default, for every member already here too.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('support_notifications', sa.Boolean(),
                                      server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('support_notifications')
