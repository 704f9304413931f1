"""meetings: schedules, sessions, reminders

Revision ID: c1a7f0000002
Revises: c1a7f0000001
Create Date: 2026-12-01 08:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a7f0000002'
down_revision = 'c1a7f0000001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
