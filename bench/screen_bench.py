"""Screening benchmark: rules only, the whole pipeline (fallback classifier), 300-char texts,
and the whole pipeline with the semantic layer on chat-length messages and 5,000-char posts.

Run as `python bench/screen_bench.py` (or `make bench`). Writes bench/results/screen.json and
prints a table with the targets and PASS/FAIL. The process is pinned to one CPU core;
throughput is messages per second of CPU time on that core (so other work on the machine
does not count against it), latencies are wall-clock.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forum.moderation import Pipeline  # noqa: E402
from forum.moderation.rules import load_ruleset  # noqa: E402
from forum.moderation.semantic import SemanticLayer, default_embedder  # noqa: E402

RULES_DIR = ROOT / "moderation_rules"
RESULTS = ROOT / "bench" / "results" / "screen.json"
LENGTH = 300
VOCABULARY = (
    "i am feeling really good today my sponsor said we should go to a meeting and talk about "
    "the cravings it has been hard but the group helps thanks everyone for listening clean "
    "sober grateful work family kids dog walk coffee sleep anxious tired hope step program "
    "higher power call home friends therapy journal honest struggle one day at time support "
    "proud week month year again tonight morning shift boss partner wife husband son daughter"
).split()
# A few texts that do match default rules, so the benchmark also pays for spans.
TRIGGERS = [
    "I want to end it all tonight", "I relapsed last night", "call me at 555-201-3344",
    "anyone selling xans", "k.y.s", "my friend is not breathing",
]


def message(rng: random.Random) -> str:
    """One generated 300-character message in a forum's register."""
    words: list[str] = []
    if rng.random() < 0.05:
        words.append(rng.choice(TRIGGERS))
    while sum(len(w) + 1 for w in words) < LENGTH + 20:
        word = rng.choice(VOCABULARY)
        roll = rng.random()
        if roll < 0.08:
            word = word.capitalize()
        elif roll < 0.14:
            word += rng.choice([",", ".", "!", "?", "..."])
        elif roll < 0.16:
            word = str(rng.randint(1, 365))
        words.append(word)
    rng.shuffle(words)
    return " ".join(words)[:LENGTH]


def synthetic_rule(i: int, rng: random.Random) -> str:
    """A generated rule in the default rules' style: words, phrases, sometimes unless/regex."""
    made_up = []
    while len(made_up) < 8:  # invented words, so synthetic rules rarely match by accident
        word = "".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou")
                       for _ in range(rng.randint(3, 4)))
        if word not in VOCABULARY:
            made_up.append(word)
    lines = [
        f"  - id: synthetic-{i}",
        "    category: spam",
        f"    description: generated rule {i}",
        f"    words: [{', '.join(made_up[:4])}]",
        f'    phrases: ["{made_up[4]} (of|for) {made_up[5]}", "{rng.choice(VOCABULARY)} '
        f'{made_up[6]}"]',
        "    action: flag",
        "    priority: low",
    ]
    if i % 10 == 0:
        lines.append(f'    unless: ["no {made_up[0]}"]')
    if i % 50 == 0:
        lines.append(f'    regex: ["\\\\b{made_up[7]}-\\\\d+"]')
    return "\n".join(lines)


def rule_dir(count: int, base: Path) -> Path:
    """A rule directory holding `count` generated rules (plus the shared data files)."""
    directory = base / f"rules-{count}"
    (directory / "rules").mkdir(parents=True)
    for name in ("categories.yml", "resources.yml", "classifier.yml"):
        shutil.copy(RULES_DIR / name, directory / name)
    rng = random.Random(count)
    body = "\n".join(synthetic_rule(i, rng) for i in range(count))
    (directory / "rules" / "synthetic.yml").write_text("rules:\n" + body + "\n")
    return directory


def timed(fn: Callable[[str], object], texts: Sequence[str], rounds: int) -> dict:
    """Best-of-rounds throughput (CPU time of this one core), with wall-clock p50/p99."""
    best: dict | None = None
    for _ in range(rounds):
        start = time.process_time()
        for text in texts:
            fn(text)
        cpu = time.process_time() - start
        latencies = []
        for text in texts:
            t0 = time.perf_counter()
            fn(text)
            latencies.append(time.perf_counter() - t0)
        latencies.sort()
        result = {
            "messages_per_s": round(len(texts) / cpu),
            "p50_ms": round(statistics.median(latencies) * 1000, 4),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 4),
        }
        if best is None or result["messages_per_s"] > best["messages_per_s"]:
            best = result
    assert best is not None
    return best


def batched(pipeline: Pipeline, texts: Sequence[str], size: int, rounds: int) -> dict:
    """Throughput of screen_many in batches of `size`."""
    best = 0.0
    for _ in range(rounds):
        start = time.process_time()
        for i in range(0, len(texts), size):
            pipeline.screen_many(texts[i : i + size], scope="post")
        best = max(best, len(texts) / (time.process_time() - start))
    return {"messages_per_s": round(best), "batch_size": size}


CHAT = [
    "anyone around tonight? rough day", "day 12, grateful for this group", "lol same here",
    "i just want to sleep and never wake up", "my sponsor didnt pick up, trying again later",
    "thanks everyone, heading to bed", "cravings are loud today but i'm holding on",
    "does the tuesday circle still meet at 7?", "nobody would miss me if i was gone",
    "made soup and called my mom, small wins",
]


def post(rng: random.Random, length: int) -> str:
    """A long post: sentences of the forum's words, a risk sentence buried in a few."""
    sentences = []
    while sum(len(s) + 1 for s in sentences) < length:
        words = [rng.choice(VOCABULARY) for _ in range(rng.randint(6, 16))]
        sentences.append(" ".join(words).capitalize() + rng.choice([".", ".", "!", "?"]))
    if rng.random() < 0.3:
        sentences.insert(rng.randrange(len(sentences)), "I want to end it all tonight.")
    return " ".join(sentences)[:length]


def rss_mb() -> float:
    """This process's resident memory (Linux)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def fill_cache(cache: str) -> None:
    """Embed every example once into `cache`, as a new install's first start does."""
    categories = set(load_ruleset(RULES_DIR).categories)
    SemanticLayer(RULES_DIR / "examples", lambda: categories, default_embedder(None),
                  cache_dir=cache, reload_interval=0).start(background=False)


def semantic_results(rounds: int) -> dict:
    """The whole pipeline with the semantic layer: latency and throughput, memory growth."""
    before = rss_mb()
    pipeline = Pipeline(RULES_DIR, reload_interval=0)
    pipeline.warm(background=False)
    after_rules = rss_mb()
    with tempfile.TemporaryDirectory() as cache:
        # A restarted process finds the example vectors on disk; the first start of a new
        # install embeds them all (timed here, in another process, as `first_load_s`).
        child = multiprocessing.get_context("spawn").Process(target=fill_cache, args=(cache,))
        started = time.perf_counter()
        child.start()
        child.join()
        first_load_s = time.perf_counter() - started
        layer = SemanticLayer(RULES_DIR / "examples", lambda: set(pipeline.ruleset.categories),
                              default_embedder(None), cache_dir=cache, timeout=60,
                              reload_interval=0)
        started = time.perf_counter()
        layer.start(background=False)
        load_s = time.perf_counter() - started
    pipeline.semantic = layer
    rng = random.Random(7)
    chats = [rng.choice(CHAT) + rng.choice(["", " ", ".", "!!", " tbh"]) for _ in range(600)]
    posts = [post(rng, 5000) for _ in range(30)]
    results = {
        "load_s": round(load_s, 1),
        "first_load_s": round(first_load_s, 1),
        "chat_single": timed(lambda t: pipeline.screen(t, scope="chat"), chats, rounds),
        "post_5000_single": timed(lambda t: pipeline.screen(t, scope="post"), posts, 1),
    }
    best = 0.0
    for _ in range(rounds):
        start = time.process_time()
        for i in range(0, len(chats), 50):
            pipeline.screen_many(chats[i : i + 50], scope="chat")
        best = max(best, len(chats) / (time.process_time() - start))
    results["chat_batched"] = {"messages_per_s": round(best), "batch_size": 50}
    results["rss_mb"] = {"before": round(before), "rules_and_fallback": round(after_rules),
                         "with_semantic": round(rss_mb()),
                         "semantic_growth": round(rss_mb() - after_rules)}
    layer.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    rng = random.Random(2026)
    texts = [message(rng) for _ in range(args.messages)]
    results: dict = {"messages": len(texts), "length": LENGTH, "rounds": args.rounds}

    pipeline = Pipeline(RULES_DIR, reload_interval=0)
    pipeline.warm(background=False)
    default = pipeline.ruleset
    results["rules_only_default"] = {"rules": default.count, **timed(
        lambda t: default.matcher.match(t, "post"), texts, args.rounds)}
    # Text with no digits and no "@": the personal-detail detectors' prefilters skip it. Text
    # with digits may wake a detector (a library parse), so its figure is recorded, not a target.
    plain = [t for t in texts if not any(c.isdigit() for c in t) and "@" not in t]
    results["rules_only_no_digits"] = {"rules": default.count, **timed(
        lambda t: default.matcher.match(t, "post"), plain, args.rounds)}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (10, 100, 1000):
            ruleset = load_ruleset(rule_dir(count, Path(tmp)))
            results[f"rules_only_{count}"] = {"rules": count, **timed(
                lambda t, rs=ruleset: rs.matcher.match(t, "post"), texts, args.rounds)}
    results["pipeline_single"] = timed(
        lambda t: pipeline.screen(t, scope="post"), texts[:2000], args.rounds)
    results["pipeline_batched"] = batched(pipeline, texts, 100, args.rounds)
    semantic = results["semantic"] = semantic_results(args.rounds)

    slowdown = (results["rules_only_10"]["messages_per_s"]
                / results["rules_only_1000"]["messages_per_s"])
    targets = [
        ("rules only, no digits or @ (msg/s)", results["rules_only_no_digits"]["messages_per_s"],
         ">= 20000", results["rules_only_no_digits"]["messages_per_s"] >= 20000),
        ("rules only, 10 -> 1000 rules (x slower)", round(slowdown, 2), "<= 1.5",
         slowdown <= 1.5),
        ("pipeline + fallback, batched (msg/s)", results["pipeline_batched"]["messages_per_s"],
         ">= 2000", results["pipeline_batched"]["messages_per_s"] >= 2000),
        ("pipeline + fallback, single p99 (ms)", results["pipeline_single"]["p99_ms"], "< 10",
         results["pipeline_single"]["p99_ms"] < 10),
        ("+ semantic, chat message p99 (ms)", semantic["chat_single"]["p99_ms"], "<= 15",
         semantic["chat_single"]["p99_ms"] <= 15),
        ("+ semantic, 5,000-char post p99 (ms)", semantic["post_5000_single"]["p99_ms"],
         "<= 150", semantic["post_5000_single"]["p99_ms"] <= 150),
        ("+ semantic, chat batched (msg/s)", semantic["chat_batched"]["messages_per_s"],
         ">= 300", semantic["chat_batched"]["messages_per_s"] >= 300),
        ("+ semantic, memory growth (MB)", semantic["rss_mb"]["semantic_growth"], "<= 250",
         semantic["rss_mb"]["semantic_growth"] <= 250),
    ]
    results["targets"] = [{"name": n, "value": v, "target": t, "pass": p}
                          for n, v, t, p in targets]
    results["machine"] = {"python": platform.python_version(), "platform": platform.platform(),
                          "cpus": os.cpu_count(), "pinned_to_one_core": True}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")

    print(f"Screening benchmark: {len(texts)} generated {LENGTH}-character messages, one core"
          " (msg/s per CPU second; p50/p99 wall-clock)")
    print(f"{'run':<28}{'rules':>7}{'msg/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for key in ("rules_only_default", "rules_only_no_digits", "rules_only_10", "rules_only_100",
                "rules_only_1000", "pipeline_single"):
        row = results[key]
        rules = row.get("rules", default.count)
        print(f"{key:<28}{rules:>7}{row['messages_per_s']:>10}{row['p50_ms']:>10.3f}"
              f"{row['p99_ms']:>10.3f}")
    row = results["pipeline_batched"]
    print(f"{'pipeline_batched (x100)':<28}{default.count:>7}{row['messages_per_s']:>10}")
    for key in ("chat_single", "post_5000_single"):
        row = semantic[key]
        print(f"{'semantic ' + key:<28}{default.count:>7}{row['messages_per_s']:>10}"
              f"{row['p50_ms']:>10.3f}{row['p99_ms']:>10.3f}")
    print(f"semantic layer: loaded in {semantic['load_s']} s ({semantic['first_load_s']} s on a "
          f"new install, embedding every example), resident "
          f"memory {semantic['rss_mb']}")
    print()
    print(f"{'target':<42}{'value':>10}  {'wanted':<10}result")
    for name, value, target, ok in targets:
        print(f"{name:<42}{value:>10}  {target:<10}{'PASS' if ok else 'FAIL'}")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return 0 if all(t[3] for t in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
