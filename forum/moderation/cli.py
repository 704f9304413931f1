"""Commands: `rules check`, `rules test`, `screen` and `rescreen` (DESIGN.md 3.2)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app

from ..services.review import rule_quality
from . import evaluate, get_pipeline, risk_eval
from .policy import decide
from .rescreen import run_rescreen
from .resources import DEFAULT_RULES_DIR
from .rules import RuleSet, RuleSetError, load_ruleset
from .semantic import ExampleSetError, load_examples
from .verdict import ACTIONS, SCOPES


def _rules_dir(directory: str | None) -> Path:
    return Path(directory or current_app.config.get("MODERATION_RULES_DIR") or DEFAULT_RULES_DIR)


def parse_line(raw: bytes) -> tuple[str, str, str | None]:
    """One input line: plain text, or {"text", "scope", "locale"}; ValueError if unreadable."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"line is not valid UTF-8 (byte {exc.start})") from exc
    line = line.removesuffix("\n").removesuffix("\r")
    if not line.lstrip().startswith("{"):
        return line, "post", None
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} (column {exc.colno})") from exc
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise ValueError('a JSON line needs a "text" string')
    scope = item.get("scope", "post")
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r} (one of: {', '.join(SCOPES)})")
    locale = item.get("locale")
    if locale is not None and not isinstance(locale, str):
        raise ValueError('"locale" must be a string')
    return item["text"], scope, locale


def _lines(stream: Iterable[bytes]) -> Iterator[tuple[int, Any]]:
    for number, raw in enumerate(stream, start=1):
        try:
            yield number, parse_line(raw)
        except ValueError as exc:
            yield number, exc


@click.group("rules")
def rules_group() -> None:
    """Check and try out moderation rule files."""


@rules_group.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def check_command(directory: str | None) -> None:
    """Validate a rule directory (default: the configured one); non-zero exit on errors."""
    path = _rules_dir(directory)
    try:
        ruleset = load_ruleset(path)
    except RuleSetError as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        click.echo(f"{len(exc.errors)} error(s) in {path}", err=True)
        sys.exit(1)
    click.echo(f"ok: {ruleset.count} rules, version {ruleset.version} ({path})")
    try:
        examples = load_examples(path / "examples", set(ruleset.categories))
    except ExampleSetError as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        click.echo(f"{len(exc.errors)} error(s) in {path / 'examples'}", err=True)
        sys.exit(1)
    click.echo(f"ok: {examples.count} examples for {', '.join(examples.categories) or 'no'} "
               f"semantic heads, version {examples.version}")


def _verdicts(ruleset: RuleSet, items, scores, info) -> list:
    return [
        decide(ruleset.matcher.match(text, scope), score, ruleset.classifier, classifier=info,
               locale=locale)
        for (text, scope, locale), score in zip(items, scores, strict=True)
    ]


def _tally(verdicts) -> Counter:
    tally: Counter = Counter()
    for verdict in verdicts:
        tally[("action", verdict.action)] += 1
        for category in verdict.categories:
            tally[("category", category)] += 1
    return tally


@rules_group.command("test")
@click.option("--corpus", "corpus", required=True, type=click.File("rb"),
              help="Text or JSONL lines to screen.")
@click.option("--against", "against", type=click.Path(file_okay=False),
              help="Another rule directory to compare with the current rules.")
@click.option("--category", "category", default=None,
              help="With a labelled corpus (expected categories and a dev/test split per line): "
                   "precision, recall and queue share of this category, rules alone.")
def test_command(corpus, against: str | None, category: str | None) -> None:
    """Screen a corpus with the current rules (and another directory) and show what changes."""
    pipeline = get_pipeline()
    raw = corpus.readlines()
    if category:
        _print_evaluation(raw, category, pipeline.ruleset, against)
    parsed = list(_lines(raw))
    numbered = [(n, item) for n, item in parsed if not isinstance(item, Exception)]
    unreadable = len(parsed) - len(numbered)
    items = [item for _, item in numbered]
    scores: list = []
    for start in range(0, len(items), 64):
        chunk = [text for text, _, _ in items[start : start + 64]]
        scored, _ = pipeline.score_texts(chunk)
        scores.extend(scored or [None] * len(chunk))
    info = pipeline.classifier_info()
    current = _verdicts(pipeline.ruleset, items, scores, info)
    other = None
    if against:
        try:
            other = _verdicts(load_ruleset(against), items, scores, info)
        except RuleSetError as exc:
            for error in exc.errors:
                click.echo(str(error), err=True)
            sys.exit(1)
    click.echo(f"corpus: {len(items)} lines screened, {unreadable} unreadable")
    _print_counts(_tally(current), _tally(other) if other is not None else None)
    if other is None:
        return
    changed = [(n, item[0], a, b)
               for (n, item), a, b in zip(numbered, current, other, strict=True)
               if (a.action, a.categories, a.priority) != (b.action, b.categories, b.priority)]
    click.echo(f"\n{len(changed)} line(s) would change:")
    for number, text, before, after in changed:
        click.echo(f"  line {number}: {_short(before)} -> {_short(after)}  {text[:70]!r}")


def _floors(values: tuple[str, ...], what: str) -> dict[str, tuple[str, float]]:
    out = {}
    for value in values:
        name, _, least = value.partition("=")
        try:
            out[name.strip()] = (what, float(least))
        except ValueError:
            raise click.BadParameter(f"{value!r}: expected NAME=NUMBER") from None
    return out


@rules_group.command("eval")
@click.option("--corpus", "corpus", required=True, type=click.File("rb"),
              help="Labelled JSON lines: text, expected categories (and priority or types), "
                   "split.")
@click.option("--split", "split", default="dev", type=click.Choice(["dev", "test", "all"]),
              help="The split whose misses, threshold table and floors are read.")
@click.option("--rules-only", is_flag=True, help="Leave the semantic layer out (a baseline).")
@click.option("--min-recall", "min_recall", multiple=True, metavar="NAME=NUMBER",
              help="Exit 1 when this category, row or rule id recalls less (repeatable).")
@click.option("--min-precision", "min_precision", multiple=True, metavar="NAME=NUMBER",
              help="Exit 1 when this category, row or rule id is less precise (repeatable).")
def eval_command(corpus, split: str, rules_only: bool, min_recall: tuple[str, ...],
                 min_precision: tuple[str, ...]) -> None:
    """Precision and recall per category, priority and detector rule of the whole pipeline
    on a labelled corpus; non-zero exit when a floor given here is missed."""
    floors = _floors(min_recall, "recall") | _floors(min_precision, "precision")
    try:
        items = evaluate.parse_labelled(corpus.readlines())
    except ValueError as exc:
        click.echo(f"labelled corpus: {exc}", err=True)
        sys.exit(1)
    pipeline = get_pipeline()
    layer = pipeline.semantic
    if rules_only:
        pipeline.semantic = None
    else:
        _wait_for_semantic(pipeline)
    try:
        verdicts = risk_eval.screen_items(pipeline, items)
        info = pipeline.semantic_info()
        click.echo(f"layers: rules {pipeline.ruleset.version}, classifier "
                   f"{pipeline.classifier_info()['name']}, semantic {info['name']}"
                   f"{'' if info['ready'] or info['name'] == 'off' else ' (not ready)'}")
        detectors = {r.id: (r.detector, r.scopes) for r in pipeline.ruleset.rules if r.detector}
        measures = risk_eval.measure(items, verdicts, detectors)
        for line in risk_eval.report(measures, misses_of=split):
            click.echo(line)
        table = risk_eval.threshold_table(pipeline, items, split) if not any(
            item.types for item in items) else []
        if table:
            click.echo(f"thresholds ({split}; rules plus the head at each threshold):")
            for line in risk_eval.threshold_report(table):
                click.echo(f"  {line}")
    finally:
        pipeline.semantic = layer
    misses = risk_eval.below(measures, split, floors)
    for miss in misses:
        click.echo(f"below the floor ({split}): {miss}", err=True)
    if misses:
        sys.exit(1)


def _print_evaluation(raw: list[bytes], category: str, ruleset: RuleSet,
                      against: str | None) -> None:
    """Score the labelled corpus with the current rules (and the other directory)."""
    try:
        items = evaluate.parse_labelled(raw)
    except ValueError as exc:
        click.echo(f"labelled corpus: {exc}", err=True)
        sys.exit(1)
    sets = [("current rules", ruleset)]
    if against:
        try:
            sets.append((f"against {against}", load_ruleset(against)))
        except RuleSetError as exc:
            for error in exc.errors:
                click.echo(str(error), err=True)
            sys.exit(1)
    for name, rules in sets:
        click.echo(f"{name}:")
        for line in evaluate.report(evaluate.evaluate(rules, items, category), category):
            click.echo(f"  {line}")
    click.echo("")


def _short(verdict) -> str:
    return f"{verdict.action} [{', '.join(verdict.categories)}]"


def _print_counts(current: Counter, other: Counter | None) -> None:
    keys = [("action", a) for a in ACTIONS]
    keys += sorted(k for k in set(current) | set(other or {}) if k[0] == "category")
    header = f"{'':28}{'current':>9}" + (f"{'against':>9}{'change':>8}" if other else "")
    click.echo(header)
    for key in keys:
        row = f"{key[0] + ' ' + key[1]:28}{current[key]:>9}"
        if other is not None:
            row += f"{other[key]:>9}{other[key] - current[key]:>+8}"
        click.echo(row)


@rules_group.command("stats")
@click.option("--days", type=click.IntRange(1, 365), default=rule_quality.DAYS, show_default=True,
              help="How many days of decisions to count.")
def stats_command(days: int) -> None:
    """Per flag, lowest precision first: decisions that needed follow-up, urgent items found."""
    for line in rule_quality.text_table(rule_quality.flag_quality(days), days):
        click.echo(line)


def _wait_for_semantic(pipeline, timeout: float = 120.0) -> None:
    """A command screens with every layer: load the semantic layer before the first text."""
    if pipeline.semantic is not None:
        pipeline.semantic.start(background=False)
        pipeline.semantic.wait_until_loaded(timeout)


@click.command("screen")
def screen_command() -> None:
    """Screen standard input, one item a line, and print one JSON verdict a line."""
    pipeline = get_pipeline()
    _wait_for_semantic(pipeline)
    for _, item in _lines(sys.stdin.buffer):
        if isinstance(item, Exception):
            result: dict[str, Any] = {"error": str(item)}
        else:
            text, scope, locale = item
            result = pipeline.screen(text, scope=scope, locale=locale).to_dict()
        click.echo(json.dumps(result, ensure_ascii=False))  # flushed: usable in a pipe


@click.command("rescreen")
@click.option("--limit", type=int, default=None, help="Screen at most this many items.")
def rescreen_command(limit: int | None) -> None:
    """Screen again what was stored while the classifier or semantic layer was unavailable."""
    _wait_for_semantic(get_pipeline())
    counts = run_rescreen(limit)
    click.echo(" ".join(f"{key}={value}" for key, value in counts.items()))


def register_cli(app: Flask) -> None:
    """Add the moderation commands to `flask --app forum`."""
    app.cli.add_command(rules_group)
    app.cli.add_command(screen_command)
    app.cli.add_command(rescreen_command)
