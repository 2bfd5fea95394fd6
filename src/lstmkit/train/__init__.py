"""Training: the loop, its checkpoint, seeding and device choice."""

from lstmkit.interrupt import Interrupted
from lstmkit.io.checkpoint import load_checkpoint, remove_checkpoint, save_checkpoint
from lstmkit.train.device import resolve_device
from lstmkit.train.seed import set_seed
from lstmkit.train.trainer import History, TrainerConfig, fit

__all__ = [
    "History",
    "Interrupted",
    "TrainerConfig",
    "fit",
    "load_checkpoint",
    "remove_checkpoint",
    "resolve_device",
    "save_checkpoint",
    "set_seed",
]
