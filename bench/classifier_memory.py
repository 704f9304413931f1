"""Memory per forum process, with the embedded fallback and with Detoxify at full size.

Detoxify's release weights cannot be downloaded here, so the Detoxify case loads a checkpoint of
the same architecture and size as the `original` model (BERT base: 12 layers, hidden 768,
vocabulary 30,522; random weights, which weigh exactly as much) through the forum's real loading
code, then screens batches of text so the measured memory includes inference buffers. Each case
runs in a fresh process that builds the app as a server process does; the resident set size
(VmRSS, VmHWM) is read from /proc. Results in bench/results/memory.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "memory.json"
CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
TEXTS = [
    "Day 12 today. Went to my meeting and called my sponsor after.",
    "I slipped last weekend and I'm trying again, thank you all for being here.",
    "Does anyone have tips for sleeping in the first weeks?",
    "You are all a big part of why I'm still going.",
] * 8


def build_checkpoint(base: Path) -> tuple[Path, Path]:
    """A BERT-base sized Detoxify checkpoint with a local Hugging Face config dir."""
    import torch
    import transformers

    config_dir = base / "hf"
    config_dir.mkdir()
    config = transformers.BertConfig(num_labels=len(CLASSES))  # BERT base defaults
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = [w.lower() for t in TEXTS for w in t.replace(",", " ").replace(".", " ").split()]
    vocab = specials + sorted(set(words))
    vocab += [f"[unused{i}]" for i in range(config.vocab_size - len(vocab))]
    (config_dir / "vocab.txt").write_text("\n".join(vocab) + "\n")
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    config.save_pretrained(config_dir)
    transformers.BertTokenizer(str(config_dir / "vocab.txt")).save_pretrained(config_dir)
    checkpoint = base / "bert-base-detoxify.ckpt"
    torch.save({
        "config": {
            "arch": {"args": {"model_type": str(config_dir),
                              "model_name": "BertForSequenceClassification",
                              "tokenizer_name": "BertTokenizer",
                              "num_classes": len(CLASSES)}},
            "dataset": {"args": {"classes": CLASSES}},
        },
        "state_dict": model.state_dict(),
    }, checkpoint)
    return checkpoint, config_dir


def _status() -> dict[str, int]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) // 1024  # MiB
    return out


def child(kind: str, checkpoint: str | None, config_dir: str | None, db: str) -> None:
    """Build the app as a server process would, screen text, print memory as JSON."""
    os.environ.update(FORUM_DATABASE_URL=f"sqlite:///{db}", FORUM_CLASSIFIER=kind,
                      FORUM_SECRET_KEY="memory-bench-key-0123456789-abcdefghijklmnop")
    if checkpoint:
        os.environ.update(FORUM_DETOXIFY_CHECKPOINT=checkpoint,
                          FORUM_DETOXIFY_HF_CONFIG_DIR=config_dir,
                          FORUM_DETOXIFY_MODEL_TYPE="original",
                          HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    from forum import create_app
    from forum.moderation import screen, status

    app = create_app()
    with app.app_context():
        deadline = time.time() + 300
        while kind == "detoxify" and status()["classifier"]["name"].startswith("alt-"):
            if time.time() > deadline:
                raise SystemExit("Detoxify did not load")
            time.sleep(0.5)
        active = status()["classifier"]
        started = _status()
        t0 = time.perf_counter()
        for _ in range(5):
            for text in TEXTS:
                screen(text, scope="post")
        elapsed = time.perf_counter() - t0
        print(json.dumps({"classifier": active, "after_load": started, "after_screening":
                          _status(), "screen_ms_per_text": round(elapsed * 1000 / (5 * len(TEXTS)),
                                                                 2)}))


def run_case(kind: str, checkpoint: Path | None, config_dir: Path | None, db: Path) -> dict:
    args = [sys.executable, __file__, "--child", kind, "--db", str(db)]
    if checkpoint:
        args += ["--checkpoint", str(checkpoint), "--config-dir", str(config_dir)]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child")
    parser.add_argument("--db")
    parser.add_argument("--checkpoint")
    parser.add_argument("--config-dir")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.checkpoint, args.config_dir, args.db)
        return
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        db = base / "forum.sqlite3"
        env = dict(os.environ, FORUM_DATABASE_URL=f"sqlite:///{db}")
        subprocess.run([sys.executable, "-m", "flask", "--app", "forum", "db", "upgrade"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        checkpoint, config_dir = build_checkpoint(base)
        size_mb = checkpoint.stat().st_size // (1024 * 1024)
        cases = {
            "fallback": run_case("fallback", None, None, db),
            "detoxify-bert-base": run_case("detoxify", checkpoint, config_dir, db),
        }
    result = {"benchmark": "memory per process", "checkpoint_mb": size_mb,
              "loadavg": os.getloadavg(), "cases": cases}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'case':<22} {'classifier':<26} {'RSS MiB':>8} {'peak MiB':>9} {'ms/text':>8}")
    for name, case in cases.items():
        print(f"{name:<22} {case['classifier']['name']:<26} "
              f"{case['after_screening']['VmRSS']:>8} {case['after_screening']['VmHWM']:>9} "
              f"{case['screen_ms_per_text']:>8}")
    print(f"(checkpoint {size_mb} MiB; results in {RESULTS.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
