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

import copy
import dataclasses
import logging
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from lstmkit.config import config_from_dict, config_to_dict
from lstmkit.data.text import CharVocab
from lstmkit.errors import CheckpointError, ConfigError, DataError, LstmkitError
from lstmkit.nn import LSTM
from lstmkit.nn.variants import Variants
from lstmkit.train import History, TrainerConfig, fit, set_seed

log = logging.getLogger(__name__)

TASK = "text"

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


# Dynamic evaluation (score_text's adapt_lr): chunk length and SGD rate, tuned on held-out GPL-3.
ADAPT_CHUNK_LEN = 32
ADAPT_LR = 0.3


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
                 num_layers: int = 2, dropout: float = 0.2, variants: Variants | None = None):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = LSTM(embedding_dim, hidden_size, num_layers, batch_first=True,
                         dropout=dropout if num_layers > 1 else 0.0, **asdict(variants or Variants()))
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

    def __call__(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Mean loss per scored character of ``batch = (x, y)``, each (K, S, T): K consecutive chunks."""
        x, y = batch
        state = self._states[model.training]
        if state is not None and state[0].size(1) != x.size(1):  # another layout: start afresh
            state = None
        total = x.new_zeros((), dtype=torch.float32)
        for xk, yk in zip(x, y):  # (S, T) each, in order
            logits, state = model(xk, state)  # (S, T, V)
            total = total + F.cross_entropy(logits.flatten(0, 1), yk.flatten(), ignore_index=IGNORE, reduction="sum")
            state = (state[0].detach(), state[1].detach())
        self._states[model.training] = state
        return total / (y != IGNORE).sum().clamp(min=1)


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


def score_text(model: CharLanguageModel, vocab: CharVocab, text: str, *, chunk_len: int = 256,
               streams: int | None = None, adapt_lr: float = 0.0) -> TextScore:
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
            nll = F.cross_entropy(logits.flatten(0, 1).float(), yk.flatten(), ignore_index=IGNORE, reduction="sum")
        n = int((yk != IGNORE).sum())
        total += nll.item()
        count += n
        unknown += int((yk == 0).sum())
        state = (state[0].detach(), state[1].detach())
        if adapt and n:
            grads = torch.autograd.grad(nll / n, params)
            with torch.no_grad():
                norm = torch.sqrt(sum((g * g).sum() for g in grads))
                step = adapt_lr * min(1.0, 1.0 / (float(norm) + 1e-6))  # clipped at norm 1, as in training
                for p, g in zip(params, grads):
                    p.sub_(step * g)
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


# ---------------------------------------------------------------------------------------------
# The job: configuration and the sklearn-shaped LanguageModel


@dataclass
class TextDataConfig:
    """How the corpus is split and cut into chunks."""

    val_fraction: float = 0.1  # the end of the corpus, held out: early stopping watches it
    chunk_len: int = 64  # TBPTT steps per chunk; (h, c) carries on, so context is longer than this
    max_chars: int = 0  # read only the first max_chars characters; 0: the whole file


@dataclass
class TextModelConfig:
    """The network's shape."""

    embedding_dim: int = 64  # characters are few (~100); a small embedding is plenty
    hidden_size: int = 256  # with 2 layers: converges within the 5-minute budget on 2 CPU cores
    num_layers: int = 2  # beat one 512-unit layer on 35 KB of English in the same budget (benchmarks/)
    dropout: float = 0.3  # tens of KB are memorised fast; early stopping does the rest
    variants: Variants = field(default_factory=Variants)  # LSTM variants (layer_norm, zoneout, ...): all off = torch.nn.LSTM


@dataclass
class TextConfig:
    """Everything ``lstmkit text train`` can set (``--set data.chunk_len=128`` ...).

    ``trainer.batch_size`` is the number of parallel streams S a batch holds (each batch is one
    chunk of every stream); the trainer itself steps chunk by chunk. A corpus longer than
    ``S * chunk_len * MAX_CHUNKS_PER_EPOCH`` characters gets more streams, so that an epoch
    (between which the time budget is checked) stays under 200 steps.
    """

    data: TextDataConfig = field(default_factory=TextDataConfig)
    model: TextModelConfig = field(default_factory=TextModelConfig)
    trainer: TrainerConfig = field(
        default_factory=lambda: TrainerConfig(
            epochs=1000,  # an upper bound: the time budget or early stopping ends training
            batch_size=16,  # parallel streams: few, so a small corpus still gives many updates per epoch
            lr=3e-3,  # Adam with clipping tolerates a brisk rate on character models
            patience=6,  # epochs are short on small corpora; the rate halves after 2 bad ones
            max_seconds=280.0,  # about five minutes with loading and scoring: the promised budget
        )
    )


MIN_CHARS = 100  # fewer characters cannot fill a training and a held-out split
MAX_CHUNKS_PER_EPOCH = 200  # a big corpus gets more parallel streams instead of longer epochs


class LanguageModel:
    """A character-level LSTM language model; sklearn-shaped.

    >>> lm = LanguageModel().fit(text)                # the last 10% is held out
    >>> lm.score(other_text).bits_per_char
    >>> lm.sample("def ", length=200, seed=1)
    >>> lm.save("model"); LanguageModel.load("model")

    Args:
        config: settings (default :class:`TextConfig`).
        progress: show a progress bar while training.
    """

    def __init__(self, config: TextConfig | None = None, *, progress: bool = False):
        self.config = config or TextConfig()
        self.progress = progress
        self.vocab_: CharVocab | None = None
        self.network_: CharLanguageModel | None = None
        self.history_: History | None = None
        self.validation_: TextScore | None = None  # the held-out score after fit

    def fit(self, text: str, *, checkpoint_path: str | Path | None = None, resume: bool = False,
            name: str = "the corpus") -> LanguageModel:
        """Train on ``text``; its last ``data.val_fraction`` is held out for early stopping.

        The vocabulary is built from the training part only; held-out characters outside it
        are read (and scored) as ``<unk>``.

        Raises:
            DataError: fewer than :data:`MIN_CHARS` characters.
            ConfigError: a setting out of range.
        """
        cfg = self.config
        _check_config(cfg)
        if len(text) < MIN_CHARS:
            raise DataError(f"{name} has {len(text)} characters; a language model needs at least {MIN_CHARS}")
        n_val = int(len(text) * cfg.data.val_fraction)
        train_text, val_text = text[: len(text) - n_val], text[len(text) - n_val :]
        self.vocab_ = CharVocab.build(train_text)
        set_seed(cfg.trainer.seed)
        net = CharLanguageModel(len(self.vocab_), embedding_dim=cfg.model.embedding_dim,
                                hidden_size=cfg.model.hidden_size, num_layers=cfg.model.num_layers,
                                dropout=cfg.model.dropout, variants=cfg.model.variants)
        T = cfg.data.chunk_len
        # More streams on a big corpus, so an epoch stays short: the time budget and early
        # stopping are checked between epochs.
        S = max(cfg.trainer.batch_size, math.ceil(len(train_text) / (T * MAX_CHUNKS_PER_EPOCH)))
        if S > cfg.trainer.batch_size:
            log.info("using %d parallel streams (not %d) so an epoch has at most %d chunks",
                     S, cfg.trainer.batch_size, MAX_CHUNKS_PER_EPOCH)
        train = tbptt_layout(torch.tensor(self.vocab_.encode(train_text)), streams=S, chunk_len=T)
        val = None
        if len(val_text) >= 2:
            val_ids = torch.tensor(self.vocab_.encode(val_text))
            val = tbptt_layout(val_ids, streams=eval_streams(len(val_text)), chunk_len=T)
        loss_fn = TBPTTLoss()
        trainer = dataclasses.replace(cfg.trainer, batch_size=1)  # one chunk of every stream per step
        log.info("training on %d characters (%d held out), vocabulary %d", len(train_text), n_val, len(self.vocab_))
        self.history_ = fit(net, loss_fn, train, val, config=trainer, checkpoint_path=checkpoint_path,
                            resume=resume, progress=self.progress, shuffle=False, callbacks=(loss_fn,))
        self.network_ = net.cpu().eval()
        self.validation_ = self.score(val_text) if len(val_text) >= 2 else None
        return self

    def _require_fitted(self) -> CharLanguageModel:
        if self.network_ is None or self.vocab_ is None:
            raise LstmkitError("this LanguageModel is not fitted yet; call fit() or LanguageModel.load() first")
        return self.network_

    def score(self, text: str, *, adapt_lr: float = 0.0) -> TextScore:
        """Bits per character on ``text`` (see :func:`score_text`).

        Args:
            adapt_lr: > 0 for dynamic evaluation (the model adapts to ``text`` as it reads it,
                every character still predicted before it is seen); :data:`ADAPT_LR` works well.
        """
        if adapt_lr < 0:
            raise ConfigError(f"adapt_lr must be >= 0, got {adapt_lr}")
        if adapt_lr > 0:
            return score_text(self._require_fitted(), self.vocab_, text, chunk_len=ADAPT_CHUNK_LEN, adapt_lr=adapt_lr)
        return score_text(self._require_fitted(), self.vocab_, text)

    def sample(self, prompt: str = "", *, length: int = 200, temperature: float = 1.0,
               top_k: int | None = None, seed: int | None = None) -> str:
        """Generate ``length`` characters after ``prompt``; the same ``seed`` gives the same text.

        Raises:
            ConfigError: ``length`` < 0, ``temperature`` <= 0 or ``top_k`` < 1.
        """
        net = self._require_fitted()
        if length < 0:
            raise ConfigError(f"length must be >= 0, got {length}")
        if not temperature > 0:
            raise ConfigError(f"temperature must be > 0, got {temperature}; use e.g. 0.8 (lower is more conservative)")
        if top_k is not None and top_k < 1:
            raise ConfigError(f"top_k must be >= 1, got {top_k}")
        unknown = self.vocab_.unknown(prompt)
        if unknown:
            log.warning("the prompt has characters the model never saw (%r); they are read as <unk>", unknown)
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        return sample(net, self.vocab_, prompt=prompt, length=length, temperature=temperature, top_k=top_k,
                      generator=generator)

    def save(self, path: str | Path) -> Path:
        """Write the model folder: ``model.safetensors`` and ``config.json`` (with the vocabulary)."""
        from lstmkit.io import save_model_dir

        net = self._require_fitted()
        config: dict[str, Any] = {"vocabulary": self.vocab_.chars, "settings": config_to_dict(self.config)}
        if self.validation_ is not None:
            config["validation"] = dataclasses.asdict(self.validation_)
        return save_model_dir(path, task=TASK, config=config, tensors=dict(net.state_dict()))

    @classmethod
    def load(cls, path: str | Path) -> LanguageModel:
        """Read a folder written by :meth:`save`.

        Raises:
            CheckpointError: not a text model folder, or weights that do not fit its config.
        """
        from lstmkit.io import load_model_dir

        if not Path(path).exists():
            raise CheckpointError(f"model folder {path} not found; pass the folder written by 'lstmkit text train'")
        meta, tensors = load_model_dir(path, task=TASK)
        try:
            config = config_from_dict(TextConfig, meta.get("settings", {}))
            vocab = CharVocab(str(meta["vocabulary"]))
        except (KeyError, TypeError, ValueError, LstmkitError) as exc:
            raise CheckpointError(f"{path}: config.json is not a valid text model config ({exc}); train the model again") from None
        net = CharLanguageModel(len(vocab), embedding_dim=config.model.embedding_dim,
                                hidden_size=config.model.hidden_size, num_layers=config.model.num_layers,
                                dropout=config.model.dropout, variants=config.model.variants)
        try:
            net.load_state_dict(tensors)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            raise CheckpointError(f"{path}: the weights do not match config.json ({first}); train the model again") from None
        model = cls(config)
        model.vocab_, model.network_ = vocab, net.eval()
        if isinstance(meta.get("validation"), dict):
            model.validation_ = TextScore(**meta["validation"])
        return model


def _check_config(cfg: TextConfig) -> None:
    if not 0.0 <= cfg.data.val_fraction < 1.0:
        raise ConfigError(f"data.val_fraction must be in [0, 1), got {cfg.data.val_fraction}")
    if cfg.data.chunk_len < 1:
        raise ConfigError(f"data.chunk_len must be >= 1, got {cfg.data.chunk_len}")
    if cfg.data.max_chars < 0:
        raise ConfigError(f"data.max_chars must be >= 0 (0 reads everything), got {cfg.data.max_chars}")
    for key in ("embedding_dim", "hidden_size", "num_layers"):
        if getattr(cfg.model, key) < 1:
            raise ConfigError(f"model.{key} must be >= 1, got {getattr(cfg.model, key)}")
    if not 0.0 <= cfg.model.dropout < 1.0:
        raise ConfigError(f"model.dropout must be in [0, 1), got {cfg.model.dropout}")
