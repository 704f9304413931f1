"""chat room controls: facilitator tools

Revision ID: c1a7f0000001
Revises: 858186f5da12
Create Date: 2026-12-01 08:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a7f0000001'
down_revision = '858186f5da12'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
