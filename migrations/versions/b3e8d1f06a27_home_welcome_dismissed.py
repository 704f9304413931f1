"""users: when the member hid the home page's first-visit welcome

Revision ID: b3e8d1f06a27
Revises: a4c7e91d2f35
Create Date: 2026-12-12 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3e8d1f06a27'
down_revision = 'a4c7e91d2f35'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: every member already here sees the welcome once, until they hide it.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('welcome_dismissed_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('welcome_dismissed_at')
