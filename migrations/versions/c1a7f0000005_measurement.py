"""measurement: consented check-ins kept apart from accounts

Revision ID: c1a7f0000005
Revises: c1a7f0000004
Create Date: 2026-12-01 08:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a7f0000005'
down_revision = 'c1a7f0000004'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
