"""A semantic layer beside the rules: reads what a sentence means and who it is about."""

from .embedder import EmbedderUnavailable, OnnxEmbedder
from .examples import ExampleSet, ExampleSetError, load_examples
from .layer import Finding, SemanticLayer, default_embedder, spanish_embedder

__all__ = [
    "EmbedderUnavailable", "ExampleSet", "ExampleSetError", "Finding", "OnnxEmbedder",
    "SemanticLayer", "default_embedder", "load_examples", "spanish_embedder",
]
