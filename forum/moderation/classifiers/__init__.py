"""Toxicity classifiers behind one small interface (see base.Classifier)."""

from .base import Classifier, ClassifierUnavailable
from .fallback import FallbackClassifier
from .selector import SelectingClassifier

__all__ = ["Classifier", "ClassifierUnavailable", "FallbackClassifier", "SelectingClassifier"]
