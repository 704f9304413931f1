"""Example files are rule data: validated with file and line, refused whole on any error,
checked by `rules check`."""

import shutil
from pathlib import Path

import pytest

from forum.moderation.resources import DEFAULT_RULES_DIR
from forum.moderation.semantic.examples import ExampleSetError, load_examples

CATEGORIES = {"crisis", "crisis-method", "overdose", "relapse", "pii"}


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


GOOD = """category: crisis
priority: high
overlaps: [crisis-method]
threshold: 0.6
examples:
  - "i just want to sleep and never wake up"
  - {text: "tonight is the night", priority: urgent}
not:
  - "please stay with us"
"""


def test_a_good_file_loads_with_priorities_and_overlaps(tmp_path):
    write(tmp_path, "crisis.yml", GOOD)
    examples = load_examples(tmp_path, CATEGORIES)
    (crisis,) = examples.files
    assert crisis.category == "crisis" and crisis.threshold == 0.6
    assert [e.priority for e in crisis.examples] == ["high", "urgent"]
    assert crisis.examples[1].line == 7
    assert crisis.overlaps == {"crisis-method"} and crisis.not_examples == ("please stay with us",)
    assert examples.count == 3 and len(examples.version) == 12


def test_the_version_changes_with_any_text(tmp_path):
    write(tmp_path, "crisis.yml", GOOD)
    before = load_examples(tmp_path, CATEGORIES).version
    write(tmp_path, "crisis.yml", GOOD + '  - "one more look-alike"\n')
    assert load_examples(tmp_path, CATEGORIES).version != before


@pytest.mark.parametrize("text, line, message", [
    (GOOD.replace("threshold: 0.6", "thresold: 0.6"), 4, "unknown field 'thresold'"),
    (GOOD.replace("priority: high", "priority: soon"), 2, "priority must be one of"),
    (GOOD.replace("category: crisis", "category: overdose"), 1, "category must be the file's"),
    (GOOD.replace("threshold: 0.6", "threshold: 2"), 4, "threshold must be a number"),
    (GOOD.replace("overlaps: [crisis-method]", "overlaps: [nothing]"), 3, "overlaps must"),
    (GOOD.replace('{text: "tonight is the night", priority: urgent}',
                  '{text: "tonight", priority: later}'), 7, "priority must be one of"),
    (GOOD.replace('{text: "tonight is the night", priority: urgent}', '""'), 7,
     "an example must be text"),
    (GOOD + '  - "I just want to sleep and never  wake up"\n', 6,
     "both an example and a look-alike"),
    (GOOD.replace('  - {text: "tonight is the night", priority: urgent}',
                  '  - "i just want to sleep and NEVER wake up"'), 7, "already on line 6"),
    ("category: crisis\nexamples: []\n", 2, "non-empty 'examples:' list"),
    ("category: crisis\nexamples: [\n", 3, "invalid YAML"),
])
def test_errors_name_file_and_line(tmp_path, text, line, message):
    write(tmp_path, "crisis.yml", text)
    with pytest.raises(ExampleSetError) as caught:
        load_examples(tmp_path, CATEGORIES)
    error = caught.value.errors[0]
    assert error.file == "examples/crisis.yml" and error.line == line
    assert message in error.message


def test_an_unknown_category_is_refused(tmp_path):
    write(tmp_path, "loneliness.yml", "category: loneliness\nexamples: [\"so alone\"]\n")
    with pytest.raises(ExampleSetError, match="unknown category"):
        load_examples(tmp_path, CATEGORIES)


def test_the_shipped_examples_are_valid_and_large():
    examples = load_examples(DEFAULT_RULES_DIR / "examples", CATEGORIES)
    assert set(examples.categories) == {"crisis", "crisis-method", "overdose", "relapse"}
    assert examples.count >= 1500
    spanish = [e for f in examples.files for e in f.examples
               if any(w in e.text.lower() for w in (" quiero ", "ya no", " me ", "pastillas"))]
    assert len(spanish) >= 100


def test_rules_check_validates_the_examples(tmp_path, app):
    shutil.copytree(DEFAULT_RULES_DIR, tmp_path / "rules", ignore=shutil.ignore_patterns("*.md"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rules", "check", str(tmp_path / "rules")])
    assert result.exit_code == 0, result.output
    assert "examples for" in result.output
    write(tmp_path / "rules" / "examples", "crisis.yml", "category: crisis\nexamples: 3\n")
    result = runner.invoke(args=["rules", "check", str(tmp_path / "rules")])
    assert result.exit_code == 1
    assert "examples/crisis.yml:2: crisis: expected a non-empty 'examples:' list" in result.output
