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
    op.create_table('checkin_answers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('member_key', sa.String(length=64), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('connected', sa.Integer(), nullable=False),
    sa.Column('barc', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_answers'))
    )
    with op.batch_alter_table('checkin_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_answers_member_key'), ['member_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_answers_week'), ['week'], unique=False)

    op.create_table('checkin_consents',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_checkin_consents_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_checkin_consents'))
    )


def downgrade():
    op.drop_table('checkin_consents')
    with op.batch_alter_table('checkin_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_answers_week'))
        batch_op.drop_index(batch_op.f('ix_checkin_answers_member_key'))

    op.drop_table('checkin_answers')
