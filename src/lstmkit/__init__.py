"""lstmkit: LSTM sequence models on PyTorch.

The layer (:mod:`lstmkit.nn`) writes the gates out and is weight-compatible with
``torch.nn.LSTM``; around it sit the jobs people use LSTMs for: forecasting, sequence
classification and text. Importing ``lstmkit`` is light: each public name below loads its
module (and torch, pandas...) on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from lstmkit.errors import CheckpointError, ConfigError, DataError, LstmkitError, NotFittedError

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "LSTMModel": "lstmkit.networks.classic",
    "LSTMForecaster": "lstmkit.models.forecaster",
    "LSTMClassifier": "lstmkit.models.classifier",
    "LanguageModel": "lstmkit.models.language_model",
    "TextClassifier": "lstmkit.models.text_classifier",
}

__all__ = [
    "CheckpointError",
    "ConfigError",
    "DataError",
    "LstmkitError",
    "NotFittedError",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lstmkit' has no attribute {name!r}")
