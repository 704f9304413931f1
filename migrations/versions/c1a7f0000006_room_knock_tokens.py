"""room knock tokens: hosts name a knock by an opaque token, never by account id

Revision ID: c1a7f0000006
Revises: c1a7f0000005
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a7f0000006'
down_revision = 'c1a7f0000005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('room_participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('knock_token', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('room_participants', schema=None) as batch_op:
        batch_op.drop_column('knock_token')
