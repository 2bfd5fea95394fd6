"""The character-level language model job: configuration and the sklearn-shaped
:class:`LanguageModel` (fit, score, sample, save, load).

The network and its truncated-BPTT training live in :mod:`lstmkit.models.char_lstm`; scoring
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
from lstmkit.errors import CheckpointError, ConfigError, DataError, LstmkitError
from lstmkit.models.char_lstm import CharLanguageModel, TBPTTLoss, tbptt_layout
from lstmkit.models.text_scoring import ADAPT_CHUNK_LEN, TextScore, eval_streams, sample, score_text
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


class LanguageModel:
    """A character-level LSTM language model; sklearn-shaped.

    >>> lm = LanguageModel().fit(text)                # the last 10% is validation (early stopping)
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
            raise DataError(f"{name} has {len(text)} characters; a language model needs at least {MIN_CHARS}")
        n_val = int(len(text) * cfg.data.val_fraction)
        train_text, val_text = text[: len(text) - n_val], text[len(text) - n_val :]
        self.vocab_ = CharVocab.build(train_text)
        set_seed(cfg.trainer.seed)
        net = CharLanguageModel(
            len(self.vocab_),
            embedding_dim=cfg.model.embedding_dim,
            hidden_size=cfg.model.hidden_size,
            num_layers=cfg.model.num_layers,
            dropout=cfg.model.dropout,
            variants=cfg.model.variants,
        )
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
        )
        self.network_ = net.cpu().eval()
        self.validation_ = self.score(val_text) if len(val_text) >= 2 else None
        return self

    def _require_fitted(self) -> CharLanguageModel:
        if self.network_ is None or self.vocab_ is None:
            raise LstmkitError(
                "this LanguageModel is not fitted yet; call fit() or LanguageModel.load() first"
            )
        return self.network_

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

    def save(self, path: str | Path) -> Path:
        """Write the model folder: ``model.safetensors`` and ``config.json`` (with the vocabulary)."""
        from lstmkit.io import save_model_dir

        net = self._require_fitted()
        assert self.vocab_ is not None  # _require_fitted checked it
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
            raise CheckpointError(
                f"model folder {path} not found; pass the folder written by 'lstmkit text train'"
            )
        meta, tensors = load_model_dir(path, task=TASK)
        try:
            config = config_from_dict(TextConfig, meta.get("settings", {}))
            vocab = CharVocab(str(meta["vocabulary"]))
        except (KeyError, TypeError, ValueError, LstmkitError) as exc:
            raise CheckpointError(
                f"{path}: config.json is not a valid text model config ({exc}); train the model again"
            ) from None
        net = CharLanguageModel(
            len(vocab),
            embedding_dim=config.model.embedding_dim,
            hidden_size=config.model.hidden_size,
            num_layers=config.model.num_layers,
            dropout=config.model.dropout,
            variants=config.model.variants,
        )
        try:
            net.load_state_dict(tensors)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            raise CheckpointError(
                f"{path}: the weights do not match config.json ({first}); train the model again"
            ) from None
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
