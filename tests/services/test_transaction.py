"""One owner per transaction: a service's commit() commits on its own and joins an enclosing
atomic() block, which commits once at its end and not at all on an error."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select

from forum.errors import ValidationFailed
from forum.models import Board, GuidelinesVersion
from forum.services import transaction
from forum.services.accounts import account as accounts


def _boards(db) -> set[str]:
    return set(db.session.scalars(select(Board.slug)))


def _add_board(db, slug: str) -> None:
    db.session.add(Board(slug=slug, name=slug.title(), description=""))
    transaction.commit()  # what a service does at the end of its work


def test_a_service_on_its_own_commits(db):
    _add_board(db, "mornings")
    db.session.rollback()
    assert "mornings" in _boards(db)


def test_inside_atomic_a_service_joins_and_an_error_commits_nothing(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        _add_board(db, "evenings")
        assert transaction.in_atomic()
        raise RuntimeError("the second step failed")
    db.session.rollback()  # what the view, handler or job does with the error
    assert "evenings" not in _boards(db)
    assert not transaction.in_atomic()


def test_nested_blocks_commit_once_at_the_outermost_end(db):
    with transaction.atomic():
        with transaction.atomic():
            _add_board(db, "first")
        _add_board(db, "second")
        db.session.rollback()  # before the outer end: nothing was committed yet
        assert not {"first", "second"} & _boards(db)
        _add_board(db, "third")
    db.session.rollback()
    assert "third" in _boards(db)


def test_atomic_as_a_decorator_owns_each_call(db):
    @transaction.atomic()
    def two_steps(slug: str, fail: bool) -> None:
        _add_board(db, slug)
        _add_board(db, slug + "-too")
        if fail:
            raise ValueError("refused")

    two_steps("kept", False)
    with pytest.raises(ValueError):
        two_steps("dropped", True)
    db.session.rollback()
    assert {"kept", "kept-too"} <= _boards(db)
    assert not {"dropped", "dropped-too"} & _boards(db)


def test_keep_loaded_leaves_what_the_session_read(db, member):
    member.timezone = "Europe/Madrid"
    transaction.commit(keep_loaded=True)
    assert not inspect(member).expired_attributes
    transaction.commit()
    assert inspect(member).expired


def test_a_refused_sign_up_leaves_nothing_behind(db):
    # The first sign-up publishes the default guidelines; refused, it publishes nothing.
    assert db.session.scalar(select(func.count(GuidelinesVersion.id))) == 0
    with pytest.raises(ValidationFailed):
        accounts.check_signup("quiet-river", "a long enough passphrase 42",
                              "a long enough passphrase 42", agreed_guidelines_version=None)
    db.session.rollback()
    assert db.session.scalar(select(func.count(GuidelinesVersion.id))) == 0
