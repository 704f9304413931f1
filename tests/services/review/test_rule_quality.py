"""Rule quality: per flag, how often a closed item needed follow-up (precision), how many
urgent items it found and how many wait undecided, over a window; and `rules stats`."""

from __future__ import annotations

from forum.extensions import db
from forum.moderation.verdict import Reason, Verdict
from forum.services import review_queue
from forum.services.review import decisions as review_decisions, rule_quality
from forum.services.threads import reports
from tests.fixtures import review as review_support, threads as threads_support
from tests.fixtures.review import post_item

# The shared fixtures, by assignment (a plugin import would be collected twice).
board = threads_support.board
screener = threads_support.screener
fake_clock = review_support.fake_clock


def _also(item, *reasons: Reason, priority: str = "normal"):
    """The pipeline's second look at the same content adds these reasons to its item."""
    category = reasons[0].category
    review_queue.do_enqueue(item.content_kind, item.content_id, verdict=Verdict(
        action="flag", categories=(category,), priority=priority, reasons=reasons))
    db.session.commit()
    return item


def _decide(item, moderator, needed: bool | None, decision: str = "approve"):
    review_decisions.check_decide(item, decision, "looked at it", acting_user=moderator,
                                  followup_needed=needed)


def _rows(**kwargs) -> dict[tuple[str, str], rule_quality.FlagQuality]:
    return {(r.source, r.id): r for r in rule_quality.flag_quality(**kwargs)}


def test_precision_is_computed_from_decided_items_only(app, board, member, moderator, screener,
                                                       fake_clock):
    items = [post_item(board, member, f"cheap watches {n}", "spam", action="flag")
             for n in range(4)]
    _decide(items[0], moderator, True, "remove")
    _decide(items[1], moderator, False)
    _decide(items[2], moderator, False)
    # items[3] still waits: it counts as undecided and leaves precision alone.
    row = _rows()[("rule", "test-spam")]
    assert (row.decided, row.answered, row.needed, row.undecided) == (3, 3, 1, 1)
    assert row.precision == 1 / 3
    assert row.urgent == 0


def test_the_window_counts_decisions_by_when_they_were_made(app, board, member, moderator,
                                                            screener, fake_clock):
    old = post_item(board, member, "cheap watches", "spam", action="flag")
    _decide(old, moderator, False)
    fake_clock.advance(days=31)
    recent = post_item(board, member, "cheap bags", "spam", action="flag")
    _decide(recent, moderator, True, "remove")
    fake_clock.advance(days=2)
    row = _rows()[("rule", "test-spam")]
    assert (row.decided, row.needed, row.precision) == (1, 1, 1.0)
    assert _rows(days=1) == {}  # nothing was decided or raised in the last day
    both = _rows(days=40)[("rule", "test-spam")]
    assert (both.decided, both.needed) == (2, 1)


def test_semantic_rows_are_one_per_category_and_count_urgent_items(
        app, board, member, trained_moderator, screener, fake_clock):
    crisis = post_item(board, member, "I can't do this anymore", "crisis")
    _also(crisis, Reason("semantic", "semantic:crisis", "crisis", None, 0.91), priority="urgent")
    again = post_item(board, member, "nobody would notice if I was gone", "relapse",
                      action="flag")
    _also(again, Reason("semantic", "semantic:crisis", "crisis", None, 0.88), priority="urgent")
    relapse = post_item(board, member, "I drank last night", "relapse", action="flag")
    _also(relapse, Reason("semantic", "semantic:relapse", "relapse", None, 0.7))
    _decide(crisis, trained_moderator, True)
    _decide(relapse, trained_moderator, False)
    rows = _rows()
    semantic = {key: row for key, row in rows.items() if key[0] == "semantic"}
    assert set(semantic) == {("semantic", "semantic:crisis"), ("semantic", "semantic:relapse")}
    crisis_row = semantic[("semantic", "semantic:crisis")]
    assert (crisis_row.decided, crisis_row.needed, crisis_row.undecided) == (1, 1, 1)
    assert crisis_row.urgent == 2  # both items it raised were urgent, decided or not
    assert semantic[("semantic", "semantic:relapse")].precision == 0.0
    # The rule that raised the same crisis item keeps its own row.
    assert rows[("rule", "test-crisis")].urgent == 1


def test_unanswered_decisions_and_reports_leave_precision_alone(
        app, board, member, second_member, moderator, screener, fake_clock):
    post = threads_support.new_thread(board, member, body="Morning walk, feeling good.").post
    reports.check_report(post.id, "this looks off", acting_user=second_member)
    reported = review_queue.item_for("post", post.id)
    _also(reported, Reason("classifier", "insult", "harassment", None, 0.62))
    # Raised by no rule and no semantic category: the answer may be left out.
    _decide(reported, moderator, None, "dismiss")
    rows = _rows()
    assert all(source != "report" for source, _id in rows)
    label = rows[("classifier", "insult")]
    assert (label.decided, label.answered, label.precision) == (1, 0, None)


def test_lowest_precision_comes_first_and_unknown_last(app, board, member, moderator, screener,
                                                       fake_clock):
    for category, needed in (("spam", False), ("pii", True), ("sourcing", None)):
        item = post_item(board, member, f"something {category}", category, action="flag")
        if needed is not None:
            _decide(item, moderator, needed)
    order = [r.id for r in rule_quality.flag_quality()]
    assert order == ["test-spam", "test-pii", "test-sourcing"]


def test_rules_stats_prints_the_table_lowest_precision_first(
        app, runner, board, member, moderator, screener, fake_clock):
    for body, category, needed in (("cheap watches", "spam", False),
                                   ("cheap bags", "spam", True),
                                   ("call me on 555", "pii", True)):
        _decide(post_item(board, member, body, category, action="flag"), moderator, needed)
    result = runner.invoke(args=["rules", "stats", "--days", "30"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["flag", "decided", "answered", "needed", "precision", "urgent",
                                "undecided"]
    assert lines[1].split() == ["rule", "test-spam", "2", "2", "1", "50%", "0", "0"]
    assert lines[2].split() == ["rule", "test-pii", "1", "1", "1", "100%", "0", "0"]
    assert "Last 30 days" in lines[-1]
    assert "call me on 555" not in result.output  # aggregates only, never member text


def test_rules_stats_with_nothing_to_show_and_a_bad_window(app, runner):
    result = runner.invoke(args=["rules", "stats"])
    assert result.exit_code == 0 and "No flagged items in the last 30 days." in result.output
    assert runner.invoke(args=["rules", "stats", "--days", "0"]).exit_code != 0
