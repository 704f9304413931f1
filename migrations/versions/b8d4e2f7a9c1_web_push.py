"""web push: browsers' push subscriptions, each account's kinds of push, and the outbox

Every table is new, so a process still running the previous release is unaffected. None of them
holds an IP address or a user agent.

Revision ID: b8d4e2f7a9c1
Revises: c7f2a9e4b1d3
Create Date: 2026-12-14 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4e2f7a9c1'
down_revision = 'c7f2a9e4b1d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'push_preferences',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('support_requests', sa.Boolean(), nullable=False),
        sa.Column('urgent_items', sa.Boolean(), nullable=False),
        sa.Column('meeting_reminders', sa.Boolean(), nullable=False),
        sa.Column('thread_replies', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name='fk_push_preferences_user_id_users', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name='pk_push_preferences'),
    )
    op.create_table(
        'push_subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('sign_in_id', sa.Integer(), nullable=True),
        sa.Column('endpoint', sa.String(length=1024), nullable=False),
        sa.Column('p256dh', sa.String(length=128), nullable=False),
        sa.Column('auth', sa.String(length=64), nullable=False),
        sa.Column('device_name', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_ok_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['sign_in_id'], ['sign_ins.id'],
                                name='fk_push_subscriptions_sign_in_id_sign_ins',
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name='fk_push_subscriptions_user_id_users', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_push_subscriptions'),
        sa.UniqueConstraint('endpoint', name='uq_push_subscriptions_endpoint'),
    )
    op.create_index('ix_push_subscriptions_sign_in_id', 'push_subscriptions', ['sign_in_id'])
    op.create_index('ix_push_subscriptions_user_id', 'push_subscriptions', ['user_id'])
    op.create_table(
        'push_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('tag', sa.String(length=32), nullable=False),
        sa.Column('withdraw', sa.Boolean(), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('holder', sa.String(length=100), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('gave_up_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['subscription_id'], ['push_subscriptions.id'],
                                name='fk_push_messages_subscription_id_push_subscriptions',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_push_messages'),
    )
    op.create_index('ix_push_messages_due', 'push_messages',
                    ['sent_at', 'gave_up_at', 'next_attempt_at'])
    op.create_index('ix_push_messages_subscription_id', 'push_messages', ['subscription_id'])
    op.create_index('ix_push_messages_tag', 'push_messages', ['tag'])


def downgrade():
    op.drop_table('push_messages')
    op.drop_table('push_subscriptions')
    op.drop_table('push_preferences')
