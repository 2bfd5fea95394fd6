"""The character-level language model: embedding, stacked LSTM, output layer; its truncated-BPTT
data layout and loss, bits-per-character scoring, and sampling.

Training carries ``(h, c)`` from one chunk of a stream to the next (detached, so gradients stop
at the chunk boundary) — truncated backpropagation through time. The corpus is cut into
``S`` parallel streams, and chunk ``k`` of every stream forms one batch::

    corpus  a b c d e f g h i j k l m n o p q r s t u v w x
    stream 0: a b c d e f | g h i j k l        chunk 0 = [a..f ; m..r]
    stream 1: m n o p q r | s t u v w x        chunk 1 = [g..l ; s..x]
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from lstmkit.data.text import CharVocab
from lstmkit.nn import LSTM

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


def eval_streams(n_chars: int) -> int:
    """Parallel streams for scoring ``n_chars`` characters: one per 10,000 (between 1 and 64).

    Each stream starts from a zero state, which costs a few dozen characters of context;
    at 10,000 characters a stream that cost is well under 1%.
    """
    return max(1, min(64, n_chars // 10_000))


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

    def __init__(self, vocab_size: int, *, embedding_dim: int = 64, hidden_size: int = 256,
                 num_layers: int = 2, dropout: float = 0.2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = LSTM(embedding_dim, hidden_size, num_layers, batch_first=True, dropout=dropout)
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

    def reset(self) -> None:
        self._states = {True: None, False: None}

    def __call__(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        x, y = x.reshape(-1, x.size(-1)), y.reshape(-1, y.size(-1))  # (S, T)
        state = self._states[model.training]
        if state is not None and state[0].size(1) != x.size(0):  # another layout: start afresh
            state = None
        logits, (h, c) = model(x, state)  # (S, T, V)
        self._states[model.training] = (h.detach(), c.detach())
        return F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=IGNORE)


# ---------------------------------------------------------------------------------------------
# Scoring and sampling


@dataclass(frozen=True)
class TextScore:
    """How well a language model predicts a text.

    Attributes:
        bits_per_char: mean of ``-log2 p(char | chars before it)`` over the scored characters.
        chars: characters scored (all but the first, which has no context).
        unknown_chars: scored characters outside the vocabulary; each is charged
            ``-log2 p(<unk>)``, the probability the model leaves for "a character I have never
            seen" — near zero, since training never shows one, so each costs many bits.
    """

    bits_per_char: float
    chars: int
    unknown_chars: int


@torch.no_grad()
def score_text(model: CharLanguageModel, vocab: CharVocab, text: str, *, chunk_len: int = 256,
               streams: int | None = None) -> TextScore:
    """Bits per character of ``model`` on ``text``, each character predicted from those before it.

    Args:
        text: at least two characters.
        chunk_len: steps run at once (any value gives the same score up to float rounding).
        streams: parallel streams (default :func:`eval_streams`); each starts from a zero state.
    """
    ids = torch.tensor(vocab.encode(text), dtype=torch.long)
    if ids.numel() < 2:
        return TextScore(float("nan"), 0, 0)
    device = next(model.parameters()).device
    x, y = tbptt_layout(ids, streams=streams or eval_streams(ids.numel()), chunk_len=chunk_len)
    was_training = model.training
    model.eval()
    total, count, unknown, state = 0.0, 0, 0, None
    for xk, yk in zip(x.to(device), y.to(device)):  # (S, T) each
        logits, state = model(xk, state)
        nll = F.cross_entropy(logits.flatten(0, 1).float(), yk.flatten(), ignore_index=IGNORE, reduction="sum")
        total += nll.item()
        count += int((yk != IGNORE).sum())
        unknown += int((yk == 0).sum())
    model.train(was_training)
    return TextScore(total / count / math.log(2), count, unknown)


@torch.no_grad()
def sample(model: CharLanguageModel, vocab: CharVocab, *, prompt: str = "", length: int = 200,
           temperature: float = 1.0, top_k: int | None = None, generator: torch.Generator | None = None) -> str:
    """Generate ``length`` characters after ``prompt``, one at a time from the model's distribution.

    Args:
        prompt: context to start from; when empty the model starts as after a newline (or its
            first character when newline is not in the vocabulary).
        temperature: divides the logits; below 1 is more conservative, above 1 more surprising.
        top_k: sample only among the ``top_k`` most likely characters.
        generator: a seeded ``torch.Generator`` (CPU) makes the result reproducible.

    Returns:
        The generated characters (without the prompt). ``<unk>`` is never generated.
    """
    device = next(model.parameters()).device
    context = vocab.encode(prompt) if prompt else vocab.encode("\n" if "\n" in vocab.chars else vocab.chars[0])
    was_training = model.training
    model.eval()
    logits, state = model(torch.tensor([context], dtype=torch.long, device=device))
    logits = logits[0, -1]  # (V,)
    out: list[int] = []
    for _ in range(length):
        scores = logits.float().cpu() / temperature
        scores[0] = -math.inf  # never <unk>
        if top_k is not None and top_k < scores.numel():
            kth = torch.topk(scores, top_k).values[-1]
            scores[scores < kth] = -math.inf
        nxt = int(torch.multinomial(torch.softmax(scores, dim=-1), 1, generator=generator))
        out.append(nxt)
        logits, state = model(torch.tensor([[nxt]], dtype=torch.long, device=device), state)
        logits = logits[0, -1]
    model.train(was_training)
    return vocab.decode(out)
