"""lstmkit: LSTM sequence models on PyTorch.

The layer (:mod:`lstmkit.nn`) writes the gates out and is weight-compatible with
``torch.nn.LSTM``; around it sit the jobs people use LSTMs for: forecasting, sequence
classification and text. Heavy parts (pandas, statsmodels, matplotlib) load on first use.
"""
from lstmkit.errors import CheckpointError, ConfigError, DataError, LstmkitError
from lstmkit.models.classic import LSTMModel

__version__ = "0.1.0"

__all__ = [
    "LSTMModel",
    "LstmkitError",
    "DataError",
    "ConfigError",
    "CheckpointError",
    "__version__",
]
