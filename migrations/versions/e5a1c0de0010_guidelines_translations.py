"""guidelines: the text of each version in other languages

Revision ID: e5a1c0de0010
Revises: c1a7f0000008
Create Date: 2026-12-04 21:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a1c0de0010'
down_revision = 'c1a7f0000008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('guidelines_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('guidelines_versions', schema=None) as batch_op:
        batch_op.drop_column('translations')
