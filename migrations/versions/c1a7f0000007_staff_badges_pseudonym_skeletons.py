"""staff badges and pseudonym skeletons: look-alike names refused in one query; posts and
chat messages keep the staff role their author wrote in

Revision ID: c1a7f0000007
Revises: c1a7f0000006
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# The same function sign-up and rename use, so stored skeletons match what they compare.
from forum.services.accounts.pseudonyms import pseudonym_skeleton


# revision identifiers, used by Alembic.
revision = 'c1a7f0000007'
down_revision = 'c1a7f0000006'
branch_labels = None
depends_on = None

# The badge a role grant gives, strongest first (forum/services/staff_badges.py).
_BADGE_ROLES = (('admin', 'admin'), ('moderator', 'moderator'), ('supervisor', 'moderator'))


def _backfill_skeletons(bind) -> None:
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('pseudonym', sa.String),
                     sa.column('pseudonym_skeleton', sa.String))
    rows = bind.execute(sa.select(users.c.id, users.c.pseudonym)).all()
    for user_id, pseudonym in rows:
        bind.execute(users.update().where(users.c.id == user_id)
                     .values(pseudonym_skeleton=pseudonym_skeleton(pseudonym)))


def _backfill_badges(bind) -> None:
    """Named authors whose staff role was granted before they wrote get its badge. A role
    revoked since left no row, and which rooms a facilitator hosted then is not kept, so
    those are not guessed at."""
    grants = sa.table('role_grants', sa.column('user_id', sa.Integer),
                      sa.column('role', sa.String), sa.column('granted_at', sa.DateTime))
    posts = sa.table('posts', sa.column('author_id', sa.Integer),
                     sa.column('anonymous', sa.Boolean), sa.column('created_at', sa.DateTime),
                     sa.column('author_badge', sa.String))
    messages = sa.table('chat_messages', sa.column('author_id', sa.Integer),
                        sa.column('room_id', sa.Integer), sa.column('created_at', sa.DateTime),
                        sa.column('author_badge', sa.String))
    rooms = sa.table('rooms', sa.column('id', sa.Integer), sa.column('anonymous', sa.Boolean))
    named = (
        (posts, posts.c.anonymous.is_(False)),
        (messages, sa.exists().where(rooms.c.id == messages.c.room_id,
                                     rooms.c.anonymous.is_(False))),
    )
    for role, badge in reversed(_BADGE_ROLES):  # the strongest is written last and stays
        for table, named_author in named:
            held = sa.exists().where(grants.c.user_id == table.c.author_id,
                                     grants.c.role == role,
                                     grants.c.granted_at <= table.c.created_at)
            bind.execute(table.update()
                         .where(table.c.author_id.is_not(None), named_author, held)
                         .values(author_badge=badge))


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pseudonym_skeleton', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_pseudonym_skeleton'), ['pseudonym_skeleton'],
                              unique=False)
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_badge', sa.String(length=16), nullable=True))
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_badge', sa.String(length=16), nullable=True))

    bind = op.get_bind()
    _backfill_skeletons(bind)
    _backfill_badges(bind)


def downgrade():
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_column('author_badge')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('author_badge')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_pseudonym_skeleton'))
        batch_op.drop_column('pseudonym_skeleton')
