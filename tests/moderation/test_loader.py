"""Loading and validation: errors name file, line and rule id; bad edits never go live."""

from __future__ import annotations

import logging
import os

import pytest

from forum.moderation import Pipeline
from forum.moderation.rules import RuleSetError, load_ruleset

GOOD = """\
rules:
  - id: test-rule
    category: relapse
    description: a test rule
    phrases: ["purple (elephant|giraffe)"]
    action: flag
    priority: normal
"""


def errors_for(rules_copy, write_rules, body: str) -> list[str]:
    write_rules("bad.yml", body)
    with pytest.raises(RuleSetError) as info:
        load_ruleset(rules_copy)
    return [str(e) for e in info.value.errors]


@pytest.mark.parametrize(
    ("body", "line", "rule_id", "message"),
    [
        (GOOD + GOOD[7:], 8, "test-rule", "duplicate id"),
        (GOOD.replace("category: relapse", "category: nonsense"), 3, "test-rule",
         "unknown category 'nonsense'"),
        (GOOD + "    resources: [no-such-line]\n", 8, "test-rule",
         "unknown resource 'no-such-line'"),
        (GOOD + '    regex: ["(unclosed"]\n', 8, "test-rule", "bad regex '(unclosed'"),
        (GOOD + "    colour: blue\n", 8, "test-rule", "unknown field 'colour'"),
        (GOOD.replace("action: flag", "action: explode"), 6, "test-rule", "unknown action"),
        (GOOD.replace("scope: ", "x") + "    scope: [posts]\n", 8, "test-rule",
         "unknown scope 'posts'"),
        (GOOD.replace('phrases: ["purple (elephant|giraffe)"]', 'phrases: ["a (b|c"]'), 5,
         "test-rule", "unbalanced"),
        (GOOD.replace('    phrases: ["purple (elephant|giraffe)"]\n', ""), 2, "test-rule",
         "needs at least one of"),
        (GOOD.replace('phrases: ["purple (elephant|giraffe)"]', 'phrases: ["{nolist}"]'), 5,
         "test-rule", "unknown list {nolist}"),
        ("rules:\n  - id: x\n    category: [oops\n", 4, "-", "invalid YAML"),
    ],
)
def test_invalid_rules_name_file_line_and_id(rules_copy, write_rules, body, line, rule_id,
                                             message):
    errors = errors_for(rules_copy, write_rules, body)
    prefix = f"{rules_copy / 'rules' / 'bad.yml'}:{line}: {rule_id}: "
    assert any(e.startswith(prefix) and message in e for e in errors), errors


def test_duplicate_across_files_points_to_both(rules_copy, write_rules):
    write_rules("one.yml", GOOD)
    errors = errors_for(rules_copy, write_rules, GOOD)
    assert any("duplicate id (first in" in e and "one.yml:2" in e for e in errors), errors


def test_obscene_alone_may_not_hold(rules_copy):
    path = rules_copy / "classifier.yml"
    path.write_text(path.read_text().replace(
        "    category: profanity\n    priority: low", "    category: profanity\n    priority: low"
    ).replace("threshold: 0.80\n    action: flag\n    category: profanity",
              "threshold: 0.80\n    action: hold\n    category: profanity"))
    with pytest.raises(RuleSetError, match="classifier.obscene: 'obscene' alone may at most"):
        load_ruleset(rules_copy)


def test_missing_resources_file(rules_copy):
    (rules_copy / "resources.yml").unlink()
    with pytest.raises(RuleSetError, match="resources.yml:1: -: file is missing"):
        load_ruleset(rules_copy)


def test_good_rules_load_with_version(rules_copy, write_rules):
    before = load_ruleset(rules_copy)
    write_rules("extra.yml", GOOD)
    after = load_ruleset(rules_copy)
    assert after.count == before.count + 1 and after.version != before.version


def _touch(path):
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))


def test_hot_reload_applies_good_edits(rules_copy, write_rules, fake_classifier):
    pipeline = Pipeline(rules_copy, fake_classifier(), reload_interval=0)
    assert pipeline.screen("a purple giraffe", scope="post").action == "allow"
    _touch(write_rules("extra.yml", GOOD))
    assert pipeline.reload_rules() is True
    assert "relapse" in pipeline.screen("a purple giraffe", scope="post").categories


def test_hot_reload_refuses_bad_edit_and_keeps_last_good(rules_copy, write_rules,
                                                         fake_classifier, caplog):
    path = write_rules("extra.yml", GOOD)
    pipeline = Pipeline(rules_copy, fake_classifier(), reload_interval=0)
    version = pipeline.status()["rules"]["version"]
    path.write_text(GOOD.replace("category: relapse", "category: nonsense"))
    _touch(path)
    with caplog.at_level(logging.ERROR, logger="forum.moderation"):
        assert pipeline.reload_rules() is False
    assert f"{path}:3: test-rule: unknown category 'nonsense'" in caplog.text
    assert pipeline.status()["rules"]["version"] == version
    assert "relapse" in pipeline.screen("a purple giraffe", scope="post").categories
    assert pipeline.store.last_error is not None


def test_reload_is_checked_on_screen_after_the_interval(rules_copy, write_rules,
                                                        fake_classifier, monkeypatch):
    pipeline = Pipeline(rules_copy, fake_classifier(), reload_interval=0.01)
    _touch(write_rules("extra.yml", GOOD))
    monkeypatch.setattr(pipeline.store, "_next_check", 0)
    assert "relapse" in pipeline.screen("a purple elephant", scope="post").categories


def test_status_reports_classifier_and_rules(default_pipeline):
    status = default_pipeline.status()
    assert status["classifier"] == {"name": "alt-profanity-check", "ready": True}
    assert status["rules"]["count"] > 20 and len(status["rules"]["version"]) == 12


def test_default_rules_check_clean():
    assert load_ruleset(Pipeline().store.directory).count > 20
