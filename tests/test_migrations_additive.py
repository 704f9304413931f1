"""Migrations may run while older processes still serve (docs/deploy.md): every upgrade is
additive, unless its module says `contract = True` (a later release's clean-up, applied once no
old process is left)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
# Operations that break a process still running the previous release.
BREAKING = {"drop_table", "drop_column", "rename_table", "drop_constraint"}


def _breaking_calls(source: str) -> list[str]:
    tree = ast.parse(source)
    if any(isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "contract" for t in node.targets)
           and isinstance(node.value, ast.Constant) and node.value.value is True
           for node in tree.body):
        return []
    found = []
    for fn in tree.body:
        if not (isinstance(fn, ast.FunctionDef) and fn.name == "upgrade"):
            continue
        for node in ast.walk(fn):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            name = node.func.attr
            keywords = {k.arg: k.value for k in node.keywords}
            if name in BREAKING:
                found.append(ast.unparse(node))
            elif name == "alter_column" and (
                    "new_column_name" in keywords or "type_" in keywords or (
                        isinstance(keywords.get("nullable"), ast.Constant)
                        and keywords["nullable"].value is False)):
                found.append(ast.unparse(node))
            elif name == "add_column" and node.args:
                column = node.args[-1]
                if isinstance(column, ast.Call):
                    kw = {k.arg: k.value for k in column.keywords}
                    required = isinstance(kw.get("nullable"), ast.Constant) and \
                        kw["nullable"].value is False
                    if required and "server_default" not in kw:
                        found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize("path", sorted(VERSIONS.glob("*.py")), ids=lambda p: p.stem[:12])
def test_upgrade_is_additive(path: Path):
    assert _breaking_calls(path.read_text()) == []


def test_the_check_sees_breaking_operations():
    source = '''
def upgrade():
    op.drop_column("posts", "body")
    with op.batch_alter_table("rooms") as batch_op:
        batch_op.add_column(sa.Column("locked", sa.Boolean(), nullable=False))
        batch_op.add_column(sa.Column("pinned", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("slow", sa.Integer(), nullable=False, server_default="0"))
        batch_op.alter_column("title", new_column_name="name")
'''
    found = _breaking_calls(source)
    assert len(found) == 3
    assert _breaking_calls("contract = True\n" + source) == []
