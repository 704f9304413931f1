"""sign-ins and second factors: sessions an owner can see and end, TOTP, passkeys, backup codes

Every table is new, and remember_tokens.sign_in_id is nullable, so a process still running
the previous release is unaffected (it neither reads nor writes them). None of them holds an IP
address or a user agent.

Revision ID: c7f2a9e4b1d3
Revises: d5e8a3c1f0b9
Create Date: 2026-12-13 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7f2a9e4b1d3'
down_revision = 'd5e8a3c1f0b9'
branch_labels = None
depends_on = None


def _user_fk():
    return sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'),
                     nullable=False)


def upgrade():
    op.create_table(
        'sign_ins',
        sa.Column('id', sa.Integer(), primary_key=True),
        _user_fk(),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('device_name', sa.String(64), nullable=True),
        sa.Column('second_factor', sa.String(16), nullable=True),
        sa.Column('stepped_up_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('step_up_method', sa.String(16), nullable=True),
        sa.Column('idle_deadline', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_sign_ins_user_id', 'sign_ins', ['user_id'])
    op.create_index('ix_sign_ins_idle_deadline', 'sign_ins', ['idle_deadline'])
    op.create_table(
        'totp_factors',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'),
                  nullable=False, unique=True),
        sa.Column('secret_sealed', sa.String(255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_step', sa.Integer(), nullable=False, server_default='0'),
    )
    op.create_table(
        'passkey_credentials',
        sa.Column('id', sa.Integer(), primary_key=True),
        _user_fk(),
        sa.Column('credential_id', sa.LargeBinary(), nullable=False),
        sa.Column('public_key', sa.LargeBinary(), nullable=False),
        sa.Column('sign_count', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('name', sa.String(64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint('credential_id', name='uq_passkey_credentials_credential_id'),
    )
    op.create_index('ix_passkey_credentials_user_id', 'passkey_credentials', ['user_id'])
    op.create_table(
        'backup_codes',
        sa.Column('id', sa.Integer(), primary_key=True),
        _user_fk(),
        sa.Column('code_hash', sa.String(255), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_backup_codes_user_id', 'backup_codes', ['user_id'])
    with op.batch_alter_table('remember_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_in_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_remember_tokens_sign_in_id', ['sign_in_id'])
        batch_op.create_foreign_key('fk_remember_tokens_sign_in_id', 'sign_ins',
                                    ['sign_in_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('remember_tokens', schema=None) as batch_op:
        batch_op.drop_constraint('fk_remember_tokens_sign_in_id', type_='foreignkey')
        batch_op.drop_index('ix_remember_tokens_sign_in_id')
        batch_op.drop_column('sign_in_id')
    op.drop_table('backup_codes')
    op.drop_table('passkey_credentials')
    op.drop_table('totp_factors')
    op.drop_table('sign_ins')
