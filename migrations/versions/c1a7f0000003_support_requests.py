"""support requests: talk to someone now

Revision ID: c1a7f0000003
Revises: c1a7f0000002
Create Date: 2026-12-01 08:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a7f0000003'
down_revision = 'c1a7f0000002'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
