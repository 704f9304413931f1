"""search: whole-word stems become word prefixes with accents folded, on both databases

Search matches what a member starts to type ("slipp" finds "slipped", "recai" finds "recaída"),
so the index keeps words as written, folded to lower case without accents, instead of English
stems (an English stem such as "slip" is no prefix of "slipp"). Forum search turns each query
word into a prefix of its own (forum/services/search.py).

SQLite: the FTS5 table is rebuilt with the unicode61 tokenizer (diacritics removed) and prefix
indexes for two and three characters; the triggers stay as they are. PostgreSQL: the same
search_posts table and GIN index, filled by the trigger functions with 'simple' lexemes of the
text after search_fold() (accents off, ASCII punctuation to spaces, as unicode61 splits words).

The table keeps its name and columns, so a process still running the previous release keeps
searching (whole words) while this one rolls out.

Revision ID: d5e8a3c1f0b9
Revises: b3e8d1f06a27
Create Date: 2026-12-08 10:00:00.000000

"""
import unicodedata

from alembic import op

# revision identifiers, used by Alembic.
revision = 'd5e8a3c1f0b9'
down_revision = 'b3e8d1f06a27'
branch_labels = None
depends_on = None


def _accent_table() -> tuple[str, str]:
    """Latin letters with diacritics and their bare letters, as search.fold() maps them."""
    source, target = [], []
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        char = chr(code)
        bare = "".join(c for c in unicodedata.normalize("NFD", char)
                       if not unicodedata.combining(c))
        if bare != char and len(bare) == 1 and bare.isascii():
            source.append(char)
            target.append(bare)
    return "".join(source), "".join(target)


FROM_CHARS, TO_CHARS = _accent_table()

SQLITE_TABLE = "CREATE VIRTUAL TABLE search_posts USING fts5(title, body, {})"
SQLITE_FILL = """INSERT INTO search_posts (rowid, title, body)
    SELECT p.id, CASE WHEN p.is_opening THEN t.title ELSE '' END, p.body_md
    FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.visible = 1"""

POSTGRES_FOLD = f"""CREATE OR REPLACE FUNCTION search_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT regexp_replace(translate(coalesce(value, ''), '{FROM_CHARS}', '{TO_CHARS}'),
                            '[!-/:-@[-`{{-~]+', ' ', 'g')
    $$"""


def _document(config: str, title: str, body: str) -> str:
    if config == "simple":
        title, body = f"search_fold({title})", f"search_fold({body})"
    return (f"setweight(to_tsvector('{config}', {title}), 'A')"
            f" || setweight(to_tsvector('{config}', {body}), 'B')")


def _postgres_functions(config: str) -> list[str]:
    opening_title = ("CASE WHEN NEW.is_opening THEN coalesce((SELECT title FROM threads"
                     " WHERE id = NEW.thread_id), '') ELSE '' END")
    return [
        f"""CREATE OR REPLACE FUNCTION search_posts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM search_posts WHERE post_id = NEW.id;
          IF NEW.visible THEN
            INSERT INTO search_posts (post_id, document)
            VALUES (NEW.id, {_document(config, opening_title, 'NEW.body_md')});
          END IF;
          RETURN NULL;
        END $$""",
        f"""CREATE OR REPLACE FUNCTION search_posts_title() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE search_posts s
          SET document = {_document(config, 'NEW.title', 'p.body_md')}
          FROM posts p
          WHERE p.thread_id = NEW.id AND p.is_opening AND s.post_id = p.id;
          RETURN NULL;
        END $$""",
        # Every indexed post again, in the new form; the GIN index follows.
        f"""UPDATE search_posts s
        SET document = {_document(
            config, "CASE WHEN p.is_opening THEN t.title ELSE '' END", 'p.body_md')}
        FROM posts p JOIN threads t ON t.id = p.thread_id
        WHERE s.post_id = p.id""",
    ]


def _sqlite_rebuild(options: str) -> None:
    op.execute("DROP TABLE IF EXISTS search_posts")
    op.execute(SQLITE_TABLE.format(options))
    op.execute(SQLITE_FILL)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FOLD)
        for statement in _postgres_functions("simple"):
            op.execute(statement)
    else:
        _sqlite_rebuild("tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in _postgres_functions("english"):
            op.execute(statement)
        op.execute("DROP FUNCTION IF EXISTS search_fold(text)")
    else:
        _sqlite_rebuild("tokenize = 'porter unicode61 remove_diacritics 2'")
