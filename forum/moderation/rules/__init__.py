"""Rule files: loading and validation (loader, schema) apart from matching (matcher)."""

from .loader import RuleSet, RuleSetError, load_ruleset
from .matcher import Matcher, RuleHit
from .schema import Rule, RuleError

__all__ = ["Matcher", "Rule", "RuleError", "RuleHit", "RuleSet", "RuleSetError", "load_ruleset"]
