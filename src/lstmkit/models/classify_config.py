"""The sequence-classification job's settings: typed dataclasses, one per concept, each default with its reason.

``ClassifyConfig`` is what ``lstmkit classify train`` reads from ``--config FILE.toml``,
``--set section.key=value`` and the flags, and what :class:`~lstmkit.models.classifier.LSTMClassifier`
saves in its model folder. The hybrid's settings (:class:`~lstmkit.models.hybrid.HybridConfig`) and
the networks' (:class:`~lstmkit.networks.lstm_fcn.ClassifierModelConfig`) live beside the code they set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lstmkit.models.hybrid import HybridConfig
from lstmkit.networks.lstm_fcn import ClassifierModelConfig
from lstmkit.train import TrainerConfig


@dataclass
class ClassifyDataConfig:
    """How LSTM-FCN's training data is split, weighted and augmented (the hybrid uses every case as it is)."""

    val_fraction: float = (
        0.2  # stratified hold-out for early stopping; 0, or a class under 13 cases, trains on all
    )
    class_weight: Literal["balanced", "none"] = "balanced"  # rare classes count as much as common ones
    augment: bool = True  # random jitter, scaling and cropping while training: small data sets overfit
    refit: bool = False  # after early stopping, train afresh on all data for the best epoch count


@dataclass
class ClassifyConfig:
    """Everything ``lstmkit classify train`` needs; ``--set section.key=value`` edits it."""

    method: Literal["hybrid", "lstm-fcn"] = (
        "hybrid"  # random convolutions + LSTM + ridge: seconds, not minutes
    )
    hybrid: HybridConfig = field(default_factory=HybridConfig)
    data: ClassifyDataConfig = field(default_factory=ClassifyDataConfig)
    model: ClassifierModelConfig = field(default_factory=ClassifierModelConfig)
    trainer: TrainerConfig = field(
        default_factory=lambda: TrainerConfig(
            epochs=40,  # the hybrid's LSTM: a fixed, brief run (LSTM-FCN wants 300 with patience 40)
            patience=40,  # the hybrid trains without a hold-out: nothing stops it early
            lr=5e-3,  # large batches and a cosine decay carry a higher rate
            batch_size=0,  # 0: hybrid, a quarter of the cases, 16 to 64; LSTM-FCN, a tenth, 4 to 32
            lr_schedule="cosine",  # decays to zero by the last epoch: the fixed run ends settled
        )
    )
