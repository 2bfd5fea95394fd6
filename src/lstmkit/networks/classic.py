"""The classic many-to-one LSTM regressor: an LSTM over the sequence, a Linear layer on its last step."""

import torch
from torch import nn

from lstmkit.nn import LSTM


class LSTMModel(nn.Module):
    """The well-known tutorial model, with lstmkit's LSTM inside so its gates can be traced.

    Zero initial states, ``batch_first`` input, and a Linear layer on the output of the last
    time step::

        h_0 = c_0 = 0
        out, _ = lstm(x, (h_0, c_0))     # (B, T, H)
        y = fc(out[:, -1, :])            # (B, output_size)

    Args:
        input_size: features per time step, F.
        hidden_size: units in each LSTM layer, H.
        output_size: values predicted per sequence.
        num_layers: stacked LSTM layers.
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, num_layers: int = 1):
        super().__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.lstm = LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``x`` of shape (B, T, F) to predictions of shape (B, output_size)."""
        h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size, dtype=x.dtype, device=x.device)
        c0 = torch.zeros_like(h0)
        out, _ = self.lstm(x, (h0, c0))  # (B, T, H)
        return self.fc(out[:, -1, :])  # (B, output_size)
