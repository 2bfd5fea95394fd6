"""The text classifier's network: token embeddings, a bidirectional LSTM over packed sequences, pooling.

A batch is padded with ``<pad>`` (id 0) to its longest text and the LSTM runs on a
PackedSequence, so padded steps are never read; pooling is masked. A padded batch therefore
scores each text as it scores alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstmkit.nn import LSTM
from lstmkit.nn.variants import Variants


@dataclass
class TextClassifierModelConfig:
    """The network's shape."""

    embedding_dim: int = 64  # learned from scratch on small data: keep it small
    hidden_size: int = 64  # per direction
    num_layers: int = 1  # one layer is enough for pooled sentence features
    bidirectional: bool = True  # the whole text is known, both directions help
    dropout: float = 0.3  # on embeddings and pooled features: small data sets overfit
    variants: Variants = field(
        default_factory=Variants
    )  # LSTM variants (layer_norm, zoneout, ...): all off = torch.nn.LSTM


class TextClassifierNet(nn.Module):
    """Token ids ``(B, T)`` with lengths ``(B,)`` -> class scores ``(B, K)``::

    e = Dropout(Embedding(ids))                  # (B, T, E)
    h = BiLSTM(pack(e, lengths))                 # (B, T, D*H), padded steps never read
    z = [masked max_t h ; masked mean_t h]        # (B, 2*D*H)
    logits = Linear(Dropout(z))                  # (B, K)
    """

    def __init__(self, vocab_size: int, n_classes: int, config: TextClassifierModelConfig):
        super().__init__()
        directions = 2 if config.bidirectional else 1
        self.embedding = nn.Embedding(vocab_size, config.embedding_dim, padding_idx=0)
        self.lstm = LSTM(
            config.embedding_dim,
            config.hidden_size,
            config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            bidirectional=config.bidirectional,
            **asdict(config.variants),
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(2 * directions * config.hidden_size, n_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Scores ``(B, K)`` for ``ids`` (B, T) padded with 0 and their true ``lengths`` (B,), all >= 1."""
        B, T = ids.shape
        e = self.drop(self.embedding(ids))  # (B, T, E)
        packed = pack_padded_sequence(e, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        h, _ = pad_packed_sequence(out, batch_first=True, total_length=T)  # (B, T, D*H)
        mask = (torch.arange(T, device=ids.device)[None, :] < lengths.to(ids.device)[:, None]).unsqueeze(
            -1
        )  # (B, T, 1)
        pooled_max = h.masked_fill(~mask, float("-inf")).amax(dim=1)  # (B, D*H)
        pooled_mean = (h * mask).sum(dim=1) / lengths.to(h.device, h.dtype)[:, None]  # (B, D*H)
        return self.head(self.drop(torch.cat([pooled_max, pooled_mean], dim=-1)))  # (B, K)
