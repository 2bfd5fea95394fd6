"""Evaluation: forecast metrics, classical baselines, hold-out and rolling-origin backtests."""

from lstmkit.evaluate.metrics import coverage, mae, mase, pinball, rmse, smape

__all__ = ["coverage", "mae", "mase", "pinball", "rmse", "smape"]
