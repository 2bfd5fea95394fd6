"""Scoring and sampling a character language model: bits per character (with optional dynamic
evaluation) and generation with temperature and top-k."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from lstmkit.data.text import CharVocab
from lstmkit.networks.char_lstm import IGNORE, CharLanguageModel, tbptt_layout
from lstmkit.nn.stateful import detach_state

# Dynamic evaluation (score_text's adapt_lr): chunk length and SGD rate, tuned on GPL-3 (the tuning corpus; benchmarks/).
ADAPT_CHUNK_LEN = 32
ADAPT_LR = 0.3


def eval_streams(n_chars: int) -> int:
    """Parallel streams for scoring ``n_chars`` characters: one per 10,000 (between 1 and 64).

    Each stream starts from a zero state, which costs a few dozen characters of context;
    at 10,000 characters a stream that cost is well under 1%.
    """
    return max(1, min(64, n_chars // 10_000))


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


def score_text(
    model: CharLanguageModel,
    vocab: CharVocab,
    text: str,
    *,
    chunk_len: int = 256,
    streams: int | None = None,
    adapt_lr: float = 0.0,
) -> TextScore:
    """Bits per character of ``model`` on ``text``, each character predicted from those before it.

    With ``adapt_lr > 0`` this is *dynamic evaluation* (Krause et al., 2018): the text is read
    as one stream in chunks of ``chunk_len``; each chunk is scored first, then a copy of the
    model takes one SGD step (rate ``adapt_lr``) on it, so the model adapts to the text the way
    a compressor adapts to its input. Every character is still predicted before it is seen.
    ``model`` itself is never changed.

    Args:
        text: at least two characters.
        chunk_len: steps run at once (without adaptation any value gives the same score, up to
            float rounding).
        streams: parallel streams (default :func:`eval_streams`; 1 when adapting); each starts
            from a zero state.
        adapt_lr: the dynamic-evaluation learning rate; 0 scores with fixed weights.
    """
    ids = torch.tensor(vocab.encode(text), dtype=torch.long)
    if ids.numel() < 2:
        return TextScore(float("nan"), 0, 0)
    adapt = adapt_lr > 0
    if adapt:
        model, streams = copy.deepcopy(model), 1
    device = next(model.parameters()).device
    x, y = tbptt_layout(ids, streams=streams or eval_streams(ids.numel()), chunk_len=chunk_len)
    was_training = model.training
    model.eval()
    params = [p for p in model.parameters() if p.requires_grad]
    total, count, unknown, state = 0.0, 0, 0, None
    for xk, yk in zip(x.to(device), y.to(device)):  # (S, T) each
        with torch.set_grad_enabled(adapt):
            logits, state = model(xk, state)
            nll = F.cross_entropy(
                logits.flatten(0, 1).float(), yk.flatten(), ignore_index=IGNORE, reduction="sum"
            )
        n = int((yk != IGNORE).sum())
        total += nll.item()
        count += n
        unknown += int((yk == 0).sum())
        state = detach_state(state)
        if adapt and n:
            grads = torch.autograd.grad(nll / n, params)
            with torch.no_grad():
                norm = torch.sqrt(sum(((g * g).sum() for g in grads), grads[0].new_zeros(())))
                step = adapt_lr * min(1.0, 1.0 / (float(norm) + 1e-6))  # clipped at norm 1, as in training
                for p, g in zip(params, grads):
                    p.sub_(step * g)
    model.train(was_training)
    return TextScore(total / count / math.log(2), count, unknown)


@torch.no_grad()
def sample(
    model: CharLanguageModel,
    vocab: CharVocab,
    *,
    prompt: str = "",
    length: int = 200,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator: torch.Generator | None = None,
) -> str:
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
    context = (
        vocab.encode(prompt) if prompt else vocab.encode("\n" if "\n" in vocab.chars else vocab.chars[0])
    )
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
