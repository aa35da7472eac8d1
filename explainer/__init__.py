"""explainer: complete, correct, step-by-step worked examples of backpropagation."""

__version__ = "0.1.0"
