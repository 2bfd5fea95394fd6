"""The character LSTM and its truncated-BPTT data layout and loss.

Training carries ``(h, c)`` from one chunk of a stream to the next (detached, so gradients stop
at the chunk boundary) — truncated backpropagation through time. The corpus is cut into
``S`` parallel streams, and chunk ``k`` of every stream forms one batch::

    corpus  a b c d e f g h i j k l m n o p q r s t u v w x
    stream 0: a b c d e f | g h i j k l        chunk 0 = [a..f ; m..r]
    stream 1: m n o p q r | s t u v w x        chunk 1 = [g..l ; s..x]
"""

from __future__ import annotations

import math
from dataclasses import asdict

import torch
import torch.nn.functional as F
from torch import nn

from lstmkit.nn import LSTM
from lstmkit.nn.stateful import detach_state
from lstmkit.nn.variants import Variants

IGNORE = -1  # target id of padding in the last chunk of a stream; never scored

State = tuple[torch.Tensor, torch.Tensor]


# ---------------------------------------------------------------------------------------------
# Data layout


def tbptt_layout(ids: torch.Tensor, *, streams: int, chunk_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Lay a 1-D id sequence out as consecutive chunks of ``streams`` parallel streams.

    Input ``x[t]`` is followed by target ``y[t] = ids[t + 1]``. The last chunk of each stream
    is padded (input 0, target :data:`IGNORE`), so no character is dropped.

    Args:
        ids: (N,) character ids, N >= 2.
        streams: parallel streams S (at most N - 1; fewer are used when the text is short).
        chunk_len: steps per chunk T.

    Returns:
        ``(x, y)``, each (n_chunks, S, T) long; chunk ``k + 1`` of stream ``s`` continues chunk ``k``.
    """
    n = ids.numel() - 1
    streams = max(1, min(streams, n))
    per_stream = n // streams  # the last n % S characters are dropped (fewer than S)
    n_chunks = math.ceil(per_stream / chunk_len)
    x = torch.zeros(streams, n_chunks * chunk_len, dtype=torch.long)
    y = torch.full((streams, n_chunks * chunk_len), IGNORE, dtype=torch.long)
    used = streams * per_stream
    x[:, :per_stream] = ids[:used].view(streams, per_stream)
    y[:, :per_stream] = ids[1 : used + 1].view(streams, per_stream)
    x = x.view(streams, n_chunks, chunk_len).transpose(0, 1).contiguous()  # (n_chunks, S, T)
    y = y.view(streams, n_chunks, chunk_len).transpose(0, 1).contiguous()  # (n_chunks, S, T)
    return x, y


# ---------------------------------------------------------------------------------------------
# The model


class CharLanguageModel(nn.Module):
    """Predicts the next character: embedding, stacked LSTM, dropout, linear output::

        e_t = Embedding(x_t)                       # (B, T, E)
        h_t, (h_n, c_n) = LSTM(e_t, (h_0, c_0))    # (B, T, H)
        logits_t = W h_t + b                       # (B, T, V)

    Args:
        vocab_size: V, including ``<unk>`` (id 0).
        embedding_dim: E.
        hidden_size: H, units per LSTM layer.
        num_layers: stacked LSTM layers.
        dropout: dropout on the embedding, between LSTM layers and before the output layer.
    """

    def __init__(
        self,
        vocab_size: int,
        *,
        embedding_dim: int = 64,
        hidden_size: int = 256,
        num_layers: int = 2,
        dropout: float = 0.2,
        variants: Variants | None = None,
    ):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = LSTM(
            embedding_dim,
            hidden_size,
            num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
            **asdict(variants or Variants()),
        )
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """Logits for the character after each of ``x`` (B, T) and the final ``(h_n, c_n)``.

        Returns:
            ``(logits, (h_n, c_n))``: logits (B, T, V); h_n and c_n (num_layers, B, H).
        """
        e = self.drop(self.embedding(x))  # (B, T, E)
        out, state = self.lstm(e, state)  # (B, T, H)
        return self.head(self.drop(out)), state  # (B, T, V)


# ---------------------------------------------------------------------------------------------
# Training: the stateful loss and the callback that resets it


class TBPTTLoss:
    """Cross-entropy over one chunk batch, carrying ``(h, c)`` from the previous chunk.

    The trainer calls it with batches of one chunk, in order (``batch_size=1``,
    ``shuffle=False``). Training and evaluation keep separate states; :meth:`on_epoch_start`
    (a trainer callback hook) resets both, so every epoch begins each stream from zeros.
    """

    def __init__(self) -> None:
        self._states: dict[bool, State | None] = {True: None, False: None}

    def on_epoch_start(self, epoch: int) -> None:
        self.reset()

    def on_validation_start(self) -> None:
        self._states[False] = None

    def reset(self) -> None:
        self._states = {True: None, False: None}

    def __call__(self, model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Mean loss per scored character of ``batch = (x, y)``, each (K, S, T): K consecutive chunks."""
        x, y = batch
        state = self._states[model.training]
        if state is not None and state[0].size(1) != x.size(1):  # another layout: start afresh
            state = None
        total = x.new_zeros((), dtype=torch.float32)
        for xk, yk in zip(x, y):  # (S, T) each, in order
            logits, state = model(xk, state)  # (S, T, V)
            total = total + F.cross_entropy(
                logits.flatten(0, 1), yk.flatten(), ignore_index=IGNORE, reduction="sum"
            )
            state = detach_state(state)  # gradients stop at the chunk boundary
        self._states[model.training] = state
        return total / (y != IGNORE).sum().clamp(min=1)
