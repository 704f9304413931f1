"""The `flask --app forum` moderation commands: rules check, rules test, screen, rescreen."""

from __future__ import annotations

import json

from forum.moderation.resources import DEFAULT_RULES_DIR

BAD_RULE = """\
rules:
  - id: broken-rule
    category: relapse
    description: broken on purpose
    regex: ["(unclosed"]
    action: flag
    priority: normal
"""


def test_rules_check_passes_on_the_default_rules(runner):
    result = runner.invoke(args=["rules", "check", str(DEFAULT_RULES_DIR)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")


def test_rules_check_fails_with_file_line_and_id(runner, rules_copy, write_rules):
    path = write_rules("broken.yml", BAD_RULE)
    result = runner.invoke(args=["rules", "check", str(rules_copy)])
    assert result.exit_code != 0
    assert f"{path}:5: broken-rule: bad regex '(unclosed'" in result.output


def test_screen_the_three_examples(runner):
    lines = ["I want to end it all tonight", "I relapsed last night and feel like garbage",
             "call me at 555-201-3344"]
    result = runner.invoke(args=["screen"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    crisis, relapse, pii = (json.loads(line) for line in result.output.splitlines())
    assert "crisis" in crisis["categories"] and crisis["priority"] == "urgent"
    assert crisis["resources"]
    assert "relapse" in relapse["categories"] and relapse["action"] == "flag"
    assert "pii" in pii["categories"] and pii["action"] == "hold"
    for verdict in (crisis, relapse, pii):
        assert set(verdict) == {"action", "categories", "priority", "reasons", "resources",
                                "classifier", "semantic"}
        assert verdict["classifier"] == {"name": "alt-profanity-check", "ready": True}
        assert verdict["categories"] == sorted(verdict["categories"])


def test_screen_json_lines_and_unreadable_lines(runner):
    data = (b'{"text": "kys", "scope": "chat"}\n'
            b'{"text": "send_nudes", "scope": "pseudonym", "locale": "en"}\n'
            b"{not json\n"
            b'{"text": "hi", "scope": "everywhere"}\n'
            b"\xff\xfe broken bytes\n"
            b"still going\n")
    result = runner.invoke(args=["screen"], input=data)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert len(out) == 6
    assert out[0]["action"] == "hold" and out[1]["action"] == "block"
    assert set(out[2]) == {"error"} and set(out[3]) == {"error"} and set(out[4]) == {"error"}
    assert out[5]["action"] == "allow"


def test_rules_test_compares_two_rule_directories(runner, rules_copy, tmp_path):
    path = rules_copy / "rules" / "relapse.yml"
    path.write_text(path.read_text().replace("    action: flag\n    priority: low",
                                             "    action: hold\n    priority: high"))
    corpus = tmp_path / "corpus.txt"
    corpus.write_text('I relapsed last night\nI am 90 days sober\n{"text": "kys"}\n{oops\n')
    result = runner.invoke(args=["rules", "test", "--corpus", str(corpus),
                                 "--against", str(rules_copy)])
    assert result.exit_code == 0, result.output
    assert "3 lines screened, 1 unreadable" in result.output
    assert "1 line(s) would change" in result.output
    assert "line 1: flag [relapse] -> hold [relapse]" in result.output


def test_rules_test_without_against_prints_counts(runner, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("hello\nkys\n")
    result = runner.invoke(args=["rules", "test", "--corpus", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "action hold" in result.output and "category harassment" in result.output
