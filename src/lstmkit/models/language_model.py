"""The character-level language model job: configuration and the sklearn-shaped
:class:`LanguageModel` (fit, score, sample, save, load).

The network and its truncated-BPTT training live in :mod:`lstmkit.networks.char_lstm`; scoring
(bits per character, dynamic evaluation) and sampling in :mod:`lstmkit.models.text_scoring`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from lstmkit.config import config_from_dict, config_to_dict
from lstmkit.data.text import CharVocab
from lstmkit.errors import ConfigError, DataError
from lstmkit.logs import counted
from lstmkit.models.base import Job
from lstmkit.models.text_scoring import ADAPT_CHUNK_LEN, TextScore, eval_streams, sample, score_text
from lstmkit.networks.char_lstm import CharLanguageModel, TBPTTLoss, tbptt_layout
from lstmkit.nn.variants import Variants
from lstmkit.train import History, TrainerConfig, fit, set_seed

log = logging.getLogger(__name__)

TASK = "text"

# ---------------------------------------------------------------------------------------------
# The job: configuration and the sklearn-shaped LanguageModel


@dataclass
class TextDataConfig:
    """How the corpus is split and cut into chunks."""

    val_fraction: float = 0.1  # the end of the corpus: the validation part early stopping watches
    chunk_len: int = 64  # TBPTT steps per chunk; (h, c) carries on, so context is longer than this
    max_chars: int = 0  # read only the first max_chars characters; 0: the whole file


@dataclass
class TextModelConfig:
    """The network's shape."""

    embedding_dim: int = 64  # characters are few (~100); a small embedding is plenty
    hidden_size: int = 256  # with 2 layers: converges within the 5-minute budget on 2 CPU cores
    num_layers: int = 2  # beat one 512-unit layer on 35 KB of English in the same budget (benchmarks/)
    dropout: float = 0.3  # tens of KB are memorised fast; early stopping does the rest
    variants: Variants = field(
        default_factory=Variants
    )  # LSTM variants (layer_norm, zoneout, ...): all off = torch.nn.LSTM


@dataclass
class TextConfig:
    """Everything ``lstmkit text train`` can set (``--set data.chunk_len=128`` ...).

    ``trainer.batch_size`` is the number of parallel streams S a batch holds (each batch is one
    chunk of every stream); the trainer itself steps chunk by chunk. A corpus longer than
    ``S * chunk_len * MAX_CHUNKS_PER_EPOCH`` characters gets more streams, so that an epoch
    (between which early stopping is checked) stays under 200 steps; ``trainer.max_steps`` then
    shrinks in proportion, so the budget stays the same number of characters read.

    The default budget is a number of steps, not seconds: the same seed and corpus give the same
    model however busy the machine is. ``trainer.max_seconds`` adds a wall-clock cap (opt-in).
    """

    data: TextDataConfig = field(default_factory=TextDataConfig)
    model: TextModelConfig = field(default_factory=TextModelConfig)
    trainer: TrainerConfig = field(
        default_factory=lambda: TrainerConfig(
            epochs=1000,  # an upper bound: the step budget or early stopping ends training
            batch_size=16,  # parallel streams: few, so a small corpus still gives many updates per epoch
            lr=3e-3,  # Adam with clipping tolerates a brisk rate on character models
            patience=6,  # epochs are short on small corpora; the rate halves after 2 bad ones
            max_steps=4000,  # ~0.04 CPU-s a step at the default size: under 3 minutes on a quiet 2-core machine
        )
    )


MIN_CHARS = 100  # fewer characters cannot fill a training and a validation split
MAX_CHUNKS_PER_EPOCH = 200  # a big corpus gets more parallel streams instead of longer epochs


class LanguageModel(Job):
    """A character-level LSTM language model; sklearn-shaped.

    >>> lm = LanguageModel().fit(text)                # the last 10% is validation (early stopping)
    >>> lm.score(other_text).bits_per_char
    >>> lm.sample("def ", length=200, seed=1)
    >>> lm.save("model"); LanguageModel.load("model")

    Args:
        config: settings (default :class:`TextConfig`).
        progress: show a progress bar while training.
    """

    task, written_by, what = TASK, "'lstmkit text train'", "text model"

    def __init__(self, config: TextConfig | None = None, *, progress: bool = False):
        self.config = config or TextConfig()
        self.progress = progress
        self.vocab_: CharVocab | None = None
        self.network_: CharLanguageModel | None = None
        self.history_: History | None = None
        self.validation_: TextScore | None = (
            None  # the validation part's score after fit (early stopping used it)
        )

    def fit(
        self,
        text: str,
        *,
        checkpoint_path: str | Path | None = None,
        resume: bool = False,
        name: str = "the corpus",
    ) -> LanguageModel:
        """Train on ``text``; its last ``data.val_fraction`` is the validation part early stopping watches.

        The vocabulary is built from the training part only; validation characters outside it
        are read (and scored) as ``<unk>``. The validation score is not a test score: early
        stopping chose the weights on it. Keep a test text out of ``text`` for that.

        Raises:
            DataError: fewer than :data:`MIN_CHARS` characters.
            ConfigError: a setting out of range.
        """
        cfg = self.config
        _check_config(cfg)
        if len(text) < MIN_CHARS:
            raise DataError(
                f"{name} has {counted(len(text), 'character')}; a language model needs at least {MIN_CHARS}"
            )
        n_val = int(len(text) * cfg.data.val_fraction)
        train_text, val_text = text[: len(text) - n_val], text[len(text) - n_val :]
        self.vocab_ = CharVocab.build(train_text)
        set_seed(cfg.trainer.seed)
        net = _network(len(self.vocab_), cfg.model)
        T = cfg.data.chunk_len
        # More streams on a big corpus, so an epoch stays short: the time budget and early
        # stopping are checked between epochs.
        S = max(cfg.trainer.batch_size, math.ceil(len(train_text) / (T * MAX_CHUNKS_PER_EPOCH)))
        if S > cfg.trainer.batch_size:
            log.info(
                "using %d parallel streams (not %d) so an epoch has at most %d chunks",
                S,
                cfg.trainer.batch_size,
                MAX_CHUNKS_PER_EPOCH,
            )
        train = tbptt_layout(torch.tensor(self.vocab_.encode(train_text)), streams=S, chunk_len=T)
        val = None
        if len(val_text) >= 2:
            val_ids = torch.tensor(self.vocab_.encode(val_text))
            val = tbptt_layout(val_ids, streams=eval_streams(len(val_text)), chunk_len=T)
        loss_fn = TBPTTLoss()
        max_steps = math.ceil(cfg.trainer.max_steps * cfg.trainer.batch_size / S)  # the same characters read
        trainer = dataclasses.replace(
            cfg.trainer, batch_size=1, max_steps=max_steps
        )  # one chunk of every stream per step
        log.info(
            "training on %d characters (%d for validation), vocabulary %d",
            len(train_text),
            n_val,
            len(self.vocab_),
        )
        self.history_ = fit(
            net,
            loss_fn,
            train,
            val,
            config=trainer,
            checkpoint_path=checkpoint_path,
            resume=resume,
            progress=self.progress,
            shuffle=False,
            callbacks=(loss_fn,),
            task=self.task,
        )
        self.network_ = net.cpu().eval()
        self.validation_ = self.score(val_text) if len(val_text) >= 2 else None
        return self

    def score(self, text: str, *, adapt_lr: float = 0.0) -> TextScore:
        """Bits per character on ``text`` (see :func:`score_text`).

        Args:
            adapt_lr: > 0 for dynamic evaluation (the model adapts to ``text`` as it reads it,
                every character still predicted before it is seen);
                :data:`lstmkit.models.text_scoring.ADAPT_LR` works well.
        """
        if adapt_lr < 0:
            raise ConfigError(f"adapt_lr must be >= 0, got {adapt_lr}")
        net = self._require_fitted()
        assert self.vocab_ is not None  # _require_fitted checked it
        if adapt_lr > 0:
            return score_text(net, self.vocab_, text, chunk_len=ADAPT_CHUNK_LEN, adapt_lr=adapt_lr)
        return score_text(net, self.vocab_, text)

    def sample(
        self,
        prompt: str = "",
        *,
        length: int = 200,
        temperature: float = 1.0,
        top_k: int | None = None,
        seed: int | None = None,
    ) -> str:
        """Generate ``length`` characters after ``prompt``; the same ``seed`` gives the same text.

        Raises:
            ConfigError: ``length`` < 0, ``temperature`` <= 0 or ``top_k`` < 1.
        """
        net = self._require_fitted()
        assert self.vocab_ is not None  # _require_fitted checked it
        if length < 0:
            raise ConfigError(f"length must be >= 0, got {length}")
        if not temperature > 0:
            raise ConfigError(
                f"temperature must be > 0, got {temperature}; use e.g. 0.8 (lower is more conservative)"
            )
        if top_k is not None and top_k < 1:
            raise ConfigError(f"top_k must be >= 1, got {top_k}")
        unknown = self.vocab_.unknown(prompt)
        if unknown:
            log.warning("the prompt has characters the model never saw (%r); they are read as <unk>", unknown)
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        return sample(
            net,
            self.vocab_,
            prompt=prompt,
            length=length,
            temperature=temperature,
            top_k=top_k,
            generator=generator,
        )

    def explain(self, text: str, *, max_chars: int = 100):
        """The LSTM's gates over the first ``max_chars`` characters of ``text``: an
        :class:`~lstmkit.explain.Explanation`."""
        from lstmkit.explain import explain_language_model

        return explain_language_model(self, text, max_chars=max_chars)

    def to_config_dict(self) -> dict[str, Any]:
        """The vocabulary, the settings and the validation score."""
        assert self.vocab_ is not None  # written only once fitted
        config: dict[str, Any] = {"vocabulary": self.vocab_.chars, "settings": config_to_dict(self.config)}
        if self.validation_ is not None:
            config["validation"] = dataclasses.asdict(self.validation_)
        return config

    @classmethod
    def _from_config_dict(cls, meta: dict[str, Any]) -> LanguageModel:
        model = cls(config_from_dict(TextConfig, meta.get("settings", {})))
        model.vocab_ = CharVocab(str(meta["vocabulary"]))
        if isinstance(meta.get("validation"), dict):
            model.validation_ = TextScore(**meta["validation"])
        model.network_ = _network(len(model.vocab_), model.config.model)
        return model


def _network(vocab_size: int, m: TextModelConfig) -> CharLanguageModel:
    return CharLanguageModel(
        vocab_size,
        embedding_dim=m.embedding_dim,
        hidden_size=m.hidden_size,
        num_layers=m.num_layers,
        dropout=m.dropout,
        variants=m.variants,
    )


def _check_config(cfg: TextConfig) -> None:
    if not 0.0 <= cfg.data.val_fraction < 1.0:
        raise ConfigError(f"data.val_fraction must be in [0, 1), got {cfg.data.val_fraction}")
    if cfg.data.chunk_len < 1:
        raise ConfigError(f"data.chunk_len must be >= 1, got {cfg.data.chunk_len}")
    # a cap below the minimum read as "the corpus file has 50 characters"
    if cfg.data.max_chars < 0 or 0 < cfg.data.max_chars < MIN_CHARS:
        raise ConfigError(
            f"data.max_chars must be 0 (read everything) or at least {MIN_CHARS}, got {cfg.data.max_chars}"
        )
    for key in ("embedding_dim", "hidden_size", "num_layers"):
        if getattr(cfg.model, key) < 1:
            raise ConfigError(f"model.{key} must be >= 1, got {getattr(cfg.model, key)}")
    if not 0.0 <= cfg.model.dropout < 1.0:
        raise ConfigError(f"model.dropout must be in [0, 1), got {cfg.model.dropout}")
