"""The pipeline: normalize → rule matching → classifier → semantic layer → policy, for one
text or a batch."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .classifiers.base import Classifier, ClassifierUnavailable
from .classifiers.detoxify import DetoxifyClassifier, resolve_checkpoint
from .classifiers.fallback import FallbackClassifier
from .classifiers.selector import SelectingClassifier
from .policy import decide
from .resources import DEFAULT_RULES_DIR
from .rules.loader import RuleSet
from .rules.matcher import RuleHit
from .rules.schema import Rule
from .rules.store import RuleStore
from .semantic import SemanticLayer, default_embedder, spanish_embedder
from .semantic.reading import not_the_writer
from .verdict import PRIORITY_RANK, RISK_TO_AUTHOR, SCOPES, Verdict

log = logging.getLogger("forum.moderation")
CLASSIFIER_CHOICES = ("auto", "fallback", "detoxify")
SEMANTIC_CHOICES = ("auto", "off")
# Pseudonyms are names, not disclosures: the semantic layer reads everything else.
SEMANTIC_SCOPES = frozenset({"post", "chat", "title", "report"})
# A category with no flagging rule of its own is answered like this one.
EXEMPLAR_FALLBACK = {"crisis-method": "crisis"}


def build_classifier(config: Mapping[str, Any]) -> SelectingClassifier:
    """The classifier the configuration asks for, always backed by the fallback."""
    kind = str(config.get("CLASSIFIER") or "auto").lower()
    if kind not in CLASSIFIER_CHOICES:
        raise ValueError(f"CLASSIFIER must be one of {', '.join(CLASSIFIER_CHOICES)}")
    model_type = str(config.get("DETOXIFY_MODEL_TYPE") or "unbiased")
    checkpoint = config.get("DETOXIFY_CHECKPOINT") or None
    fallback = FallbackClassifier()
    found = resolve_checkpoint(model_type, checkpoint) is not None
    if kind == "fallback" or (kind == "auto" and not found):
        log.info("classifier active: %s (CLASSIFIER=%s, no Detoxify checkpoint in use)",
                 fallback.name, kind)
        return SelectingClassifier(None, fallback)
    primary = DetoxifyClassifier(
        model_type, checkpoint, config.get("DETOXIFY_HF_CONFIG_DIR") or None,
        timeout=float(config.get("CLASSIFIER_TIMEOUT_S", 2.0)),
    )
    log.info("classifier active: %s while %s loads", fallback.name, primary.name)
    return SelectingClassifier(primary, fallback)


def build_semantic(config: Mapping[str, Any], store: RuleStore) -> SemanticLayer | None:
    """The semantic layer the configuration asks for (not yet loaded), or None when off."""
    kind = str(config.get("SEMANTIC") or "auto").lower()
    if kind not in SEMANTIC_CHOICES:
        raise ValueError(f"SEMANTIC must be one of {', '.join(SEMANTIC_CHOICES)}")
    if kind == "off":
        log.info("semantic layer off (SEMANTIC=off): rules and classifier decide")
        return None
    examples = config.get("SEMANTIC_EXAMPLES_DIR") or store.directory / "examples"
    return SemanticLayer(
        examples, lambda: set(store.current().categories),
        default_embedder(config.get("EMBEDDER_DIR") or None),
        cache_dir=config.get("SEMANTIC_CACHE_DIR") or None,
        timeout=float(config.get("SEMANTIC_TIMEOUT_S", 2.0)),
        reload_interval=float(config.get("RULES_RELOAD_INTERVAL_S", 2.0)),
        spanish_factory=spanish_embedder(str(config.get("SEMANTIC_SPANISH") or "same").lower()),
    )


def exemplar_rules(rules: Sequence[Rule]) -> dict[str, Rule]:
    """Per category, the flagging rule whose resources and message answer a semantic finding:
    the most urgent one, then the one with the most resources."""
    best: dict[str, Rule] = {}
    for rule in rules:
        if rule.action != "flag":
            continue
        rank = (PRIORITY_RANK.get(rule.priority or "", -1), len(rule.resources))
        current = best.get(rule.category)
        if current is None or rank > (PRIORITY_RANK.get(current.priority or "", -1),
                                      len(current.resources)):
            best[rule.category] = rule
    for category, fallback in EXEMPLAR_FALLBACK.items():
        if category not in best and fallback in best:
            best[category] = best[fallback]
    return best


class Pipeline:
    """Screens member-written text; usable with or without Flask."""

    def __init__(
        self, rules_dir: str | Path | None = None, classifier: Classifier | None = None, *,
        reload_interval: float = 2.0, semantic: SemanticLayer | None = None,
    ) -> None:
        self.store = RuleStore(rules_dir or DEFAULT_RULES_DIR, reload_interval)
        self.classifier: Classifier = classifier or SelectingClassifier(None, FallbackClassifier())
        self.semantic = semantic
        self._warming: threading.Thread | None = None  # the background warm-up, once started
        self._exemplars: tuple[str, dict[str, Rule]] = ("", {})

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Pipeline:
        """Build from Flask-style configuration keys (see moderation_rules/README.md)."""
        pipeline = cls(
            config.get("MODERATION_RULES_DIR") or None,
            build_classifier(config),
            reload_interval=float(config.get("RULES_RELOAD_INTERVAL_S", 2.0)),
        )
        pipeline.semantic = build_semantic(config, pipeline.store)
        return pipeline

    @property
    def ruleset(self) -> RuleSet:
        """The active rule set (checks for edited rule files now and then)."""
        return self.store.current()

    def reload_rules(self, force: bool = False) -> bool:
        """Reload the rule files now; True if a new rule set became active."""
        return self.store.reload(force=force)

    def classifier_info(self) -> dict[str, Any]:
        """Name and readiness of the classifier in use."""
        return {"name": self.classifier.name, "ready": bool(self.classifier.ready)}

    def semantic_info(self) -> dict[str, Any]:
        """Name and readiness of the semantic layer ("off" when not configured)."""
        if self.semantic is None:
            return {"name": "off", "ready": False}
        return {"name": self.semantic.name, "ready": self.semantic.ready}

    def status(self) -> dict[str, Any]:
        """What /healthz reports about moderation."""
        ruleset = self.ruleset
        semantic = self.semantic.status() if self.semantic is not None else {
            "name": "off", "ready": False}
        return {
            "classifier": self.classifier_info(),
            "semantic": semantic,
            "rules": {"count": ruleset.count, "version": ruleset.version},
        }

    def exemplars(self) -> dict[str, Rule]:
        """The rules that answer semantic findings, for the active rule set."""
        ruleset = self.ruleset
        if self._exemplars[0] != ruleset.version:
            self._exemplars = (ruleset.version, exemplar_rules(ruleset.rules))
        return self._exemplars[1]

    def match(self, text: str, *, scope: str, author: Any = None,
              locale: str | None = None) -> list[RuleHit]:
        """Rule matching only (no classifier, no policy)."""
        _check_scope(scope)
        return self.ruleset.matcher.match(text, scope, author, locale=locale)

    def score_texts(self, texts: Sequence[str]) -> tuple[list[dict[str, float]] | None, bool]:
        try:
            scores = self.classifier.score(texts)
        except ClassifierUnavailable as exc:
            log.warning("classifier unavailable, rules decide alone: %s", exc)
            return None, True
        except Exception as exc:  # noqa: BLE001 - the rules must still decide
            log.error("classifier %s failed, rules decide alone: %s",
                      self.classifier.name, type(exc).__name__)
            return None, True
        if len(scores) != len(texts):
            log.error("classifier %s returned %d scores for %d texts",
                      self.classifier.name, len(scores), len(texts))
            return None, True
        return scores, False

    def read_meaning(
        self, texts: Sequence[str], scope: str, contexts: Sequence[Sequence[str]] | None = None,
        locale: str | None = None,
    ) -> tuple[list[list[Any]], bool]:
        """Semantic findings per text, and whether the layer should have answered but could
        not (then the rules decide and the text is remembered for rescreening)."""
        empty: list[list[Any]] = [[] for _ in texts]
        if self.semantic is None or scope not in SEMANTIC_SCOPES or not texts:
            return empty, False
        found = self.semantic.findings(texts, contexts, hint=locale)
        if found is None:
            return empty, True
        return found, False

    def screen_many(
        self, texts: Sequence[str], *, scope: str, author: Any = None, locale: str | None = None,
        contexts: Sequence[Sequence[str]] | None = None,
    ) -> list[Verdict]:
        """Screen several texts at once; the classifier and the semantic layer read them in
        one batch. `contexts` holds, per text, the same writer's messages just before it
        (chat), read together with it."""
        _check_scope(scope)
        if any(not isinstance(text, str) for text in texts):
            raise TypeError("screen() takes text (str)")
        ruleset = self.ruleset
        now = datetime.now(UTC)
        hits = [ruleset.matcher.match(text, scope, author, now, locale) for text in texts]
        scores, unavailable = self.score_texts(texts) if texts else ([], False)
        findings, semantic_unavailable = self.read_meaning(texts, scope, contexts, locale)
        eased = [self._eased(text, hit, found, semantic_unavailable)
                 for text, hit, found in zip(texts, hits, findings, strict=True)]
        info = self.classifier_info()
        semantic = self.semantic_info()
        exemplars = self.exemplars() if any(findings) else {}
        return [
            decide(hit, scores[i] if scores else None, ruleset.classifier, classifier=info,
                   classifier_unavailable=unavailable, locale=locale, findings=findings[i],
                   exemplars=exemplars, semantic=semantic,
                   semantic_unavailable=semantic_unavailable, eased=eased[i])
            for i, hit in enumerate(hits)
        ]

    def _eased(self, text: str, hits: list[RuleHit], findings: list[Any],
               unavailable: bool) -> list[RuleHit]:
        """Risk rules that only flag, whose words are not the writer speaking of themself now
        (support, a quote, a denial, history told for hope), while the semantic layer found
        no risk to the writer in that category: read at normal priority. Only with the
        semantic layer answering; rules that hold method details are never eased."""
        if self.semantic is None or unavailable:
            return []
        at_risk = {f.category for f in findings if f.priority in ("urgent", "high")}
        return [hit for hit in hits
                if hit.rule.action == "flag" and hit.rule.category in RISK_TO_AUTHOR
                and hit.rule.category not in at_risk and hit.span is not None
                and PRIORITY_RANK.get(hit.rule.priority or "", -1) > PRIORITY_RANK["normal"]
                and not_the_writer(text, hit.span)]

    def screen(
        self, text: str, *, scope: str, author: Any = None, locale: str | None = None,
        context: Sequence[str] | None = None,
    ) -> Verdict:
        """Screen one text (with, in chat, the writer's messages just before it)."""
        return self.screen_many([text], scope=scope, author=author, locale=locale,
                                contexts=[context] if context else None)[0]

    def warm(self, background: bool = True) -> None:
        """Load the fallback model and the semantic layer now (in threads) so the first text
        does not wait."""
        if self.semantic is not None:
            self.semantic.start(background=background)
        fallback = getattr(self.classifier, "fallback", self.classifier)
        warm = getattr(fallback, "warm", None)
        if warm is None:
            return
        if background:
            self._warming = threading.Thread(target=warm, name="moderation-warm", daemon=True)
            self._warming.start()
        else:
            warm()

    def wait_warm(self, timeout: float) -> None:
        """Wait, up to timeout seconds, for the models to load: the fallback's warm-up and the
        primary's loading (done whether or not it succeeded)."""
        deadline = time.monotonic() + timeout
        if self._warming is not None:
            self._warming.join(max(0.0, deadline - time.monotonic()))
        wait = getattr(getattr(self.classifier, "primary", None), "wait_until_loaded", None)
        if wait is not None:
            wait(max(0.0, deadline - time.monotonic()))
        if self.semantic is not None:
            self.semantic.wait_until_loaded(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        """Stop background threads."""
        close = getattr(self.classifier, "close", None)
        if close:
            close()
        if self.semantic is not None:
            self.semantic.close()


def _check_scope(scope: str) -> None:
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
