"""ONNX export: a model folder as one graph that takes data in its own units.

Preprocessing and its inverse live inside the graph, and batch and length are dynamic:

- a forecaster takes ``history`` ``(B, T, 1)`` (``T >= lookback``; only the last ``lookback``
  steps are read) and returns ``forecast`` ``(B, H)`` and, with quantiles, ``quantiles``
  ``(B, H, Q)``. A model with covariates also takes ``covariates`` ``(B, T, C)``; one trained
  on several series also takes ``scale`` ``(B, 1)``, the series' scale from ``config.json``;
  one trained with calendar features (``data.calendar``) also takes ``phase`` ``(B,)`` int64,
  the first forecast step's position in the season (month of the year - 1 for monthly data,
  hour of the day for hourly data, the history's length for data without a time column);
  one trained on several series past a season of 24 steps (its network sees the series seasonally
  adjusted, :mod:`lstmkit.models.forecast_seasons`) also takes ``seasons`` ``(B, W + H)``, the
  seasons removed at the window's last ``W = lookback`` steps and put back at the ``H`` forecast
  steps; one of one series carries its seasons: from the end of the training data for a history
  whose last window is the training data's (that window alone, or the whole file), placed by the
  history's length for any other (a history that starts where the training data started).
  A forecaster that combines its network with classical methods (the default) and was trained
  on one series without covariates carries the classical forecasts from the end of its training
  data: fed that history alone it returns exactly ``lstmkit predict``'s forecast, and fed another
  history the network's (the classical methods are refitted per history, which a graph cannot
  do). Exported with ``references=True``, or trained on several series or with covariates, it
  takes the classical forecasts and weights as inputs, ``references`` ``(B, K, H, 1 + Q)`` and
  ``weights`` ``(B, 1 + K)`` (``LSTMForecaster.onnx_inputs`` computes every input).
- a classifier takes ``sequences`` ``(B, T, F)`` and returns ``scores`` ``(B, K)``, class
  probabilities in the order of ``config.json``'s ``"classes"``. Sequences of a batch shorter
  than ``T`` are padded at the end with NaN: trailing all-NaN steps are padding, and the graph
  runs each sequence over its own length (the LSTM operator's ``sequence_lens``).

The graph uses the standard ONNX LSTM operator, so the plain layer exports; layers with
variants (layer norm, peepholes, ...) are refused with an error that says so.
"""

from __future__ import annotations

import copy
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from lstmkit.errors import ConfigError
from lstmkit.io.atomic import atomic_output

log = logging.getLogger(__name__)

OPSET = 17  # supported by every onnxruntime of the last years


@contextmanager
def _native_notes_quiet() -> Iterator[None]:
    """Hide what torch's C++ exporter prints straight to the stderr file descriptor, past Python's warnings.

    A classifier's export printed three lines warning that the missing shape inference of
    prim::PackPadded 'may result in wrong shape inference': the lengths travel in the ONNX LSTM's
    ``sequence_lens``, and onnxruntime reproducing ``classify predict`` is tested. Failures still raise.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr descriptor to hide
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _fused_copy(module: nn.Module) -> nn.Module:
    """A copy of ``module`` whose LSTM layers run the fused kernel (traced as the ONNX LSTM operator).

    Raises:
        ConfigError: a layer with variants or projections, which that operator lacks.
    """
    from lstmkit.nn import LSTM

    module = copy.deepcopy(module)
    for name, layer in module.named_modules():
        if not isinstance(layer, LSTM):
            continue
        if layer.variants.changes_math:
            raise ConfigError(
                f"cannot export to ONNX: the LSTM '{name}' uses {', '.join(layer.variants.active)}, which the ONNX "
                "LSTM operator lacks; train without variants to export"
            )
        if layer.proj_size:
            raise ConfigError(
                f"cannot export to ONNX: the LSTM '{name}' has proj_size={layer.proj_size}, which the ONNX LSTM "
                "operator lacks; train without projections to export"
            )
        layer.backend = "fused"  # the same weights and numbers, as one operator
    return module


def _export(
    graph: nn.Module,
    args: tuple[torch.Tensor, ...],
    path: str | Path,
    *,
    inputs: list[str],
    outputs: list[str],
    dynamic: dict[str, dict[int, str]],
) -> Path:
    """Trace ``graph`` on example ``args`` and write the ONNX file atomically."""
    graph = _fused_copy(graph)
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"--output {path} is a folder; pass a file path such as model.onnx")
    graph.eval()
    with atomic_output(path) as tmp, torch.no_grad(), warnings.catch_warnings(), _native_notes_quiet():
        warnings.simplefilter("ignore")  # the exporter's notes on tracing and on LSTM batch sizes
        torch.onnx.export(
            graph,
            args,
            str(tmp),
            dynamo=False,
            opset_version=OPSET,
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=dynamic,
            do_constant_folding=True,
        )
    return path


class ForecastNetwork(Protocol):
    """What the export reads of a forecast network (:class:`~lstmkit.networks.forecast_net.ForecastNet`):
    ``net(x (B, W), scale (B, 1), covariates (B, W, C) | None, phase (B,) | None)`` -> ``(B, H, 1 + Q)``."""

    horizon: int  # H
    quantiles: tuple[float, ...]  # Q of them
    calendar: bool  # reads each forecast's phase in the season

    @property
    def window(self) -> int: ...  # W, the history points read

    def __call__(
        self, x: torch.Tensor, scale: torch.Tensor, cov: torch.Tensor | None, phase: torch.Tensor | None
    ) -> torch.Tensor: ...


def _ends_as(x: torch.Tensor, tail: torch.Tensor) -> torch.Tensor:
    """(B, 1) whether each window of ``x`` (B, W) is ``tail`` (W,), the training data's last, to float32 precision."""
    return ((x - tail).abs() <= 1e-5 * (tail.abs().max() + 1e-6)).all(dim=1, keepdim=True)


class ForecastGraph(nn.Module):
    """A forecaster's net with the window cut and the scale inside: history in data units in, forecast out.

    Inputs: ``history`` (B, T, 1), then ``covariates`` (B, T, C) when the model has covariates,
    then ``scale`` (B, 1) when it was trained on several series (else its one scale is built in),
    then ``phase`` (B,) when it reads the calendar, then ``seasons`` (B, W + H) when its network sees the
    series seasonally adjusted (removed from the window, put back on the forecast) - unless the graph carries
    the seasons of its one training series (``carried_seasons``), then for a model that combines its network
    with classical forecasts ``references`` (B, K, H, 1 + Q) (the members' forecasts in the order of
    config.json's ``combination.members`` after ``lstm``) and ``weights`` (B, 1 + K) - unless the
    graph carries the members' forecasts from the end of its one training series (``end``).
    """

    last_window: torch.Tensor  # (W,) the training data's last window, with ``end`` or ``carried_seasons``
    end_references: torch.Tensor  # (K, H, 1 + Q) buffers, with ``end``
    end_weights: torch.Tensor  # (1 + K,)
    season_cycle: torch.Tensor  # (P,) with ``carried_seasons``: the seasons from the step after training on

    def __init__(
        self,
        net: ForecastNetwork,
        *,
        scale: float | None,
        covariates: bool,
        combined: bool = False,
        seasonal: bool = False,
        carried_seasons: tuple[list[float], int] | None = None,
        last_window: list[float] | None = None,
        end: dict[str, Any] | None = None,
        nonnegative: bool = False,
    ):
        super().__init__()
        if end is not None and last_window is None:
            raise ValueError(
                "a graph that carries the members' forecasts from the training end needs its last window"
            )
        self.seasonal = seasonal
        self.carries_seasons = carried_seasons is not None
        self.carries_end = end is not None
        # one series: the training data's last window, by which a history that ends there is known
        self.knows_end = last_window is not None and (self.carries_seasons or self.carries_end)
        if self.knows_end:
            self.register_buffer("last_window", torch.as_tensor(last_window, dtype=torch.float32))
        # one series: its seasons, from its end or placed by the history's length
        if carried_seasons is not None:
            cycle, self.train_length = carried_seasons
            self.register_buffer("season_cycle", torch.as_tensor(cycle or [0.0], dtype=torch.float32))
        self.net: ForecastNetwork
        self.net, self.fixed_scale, self.has_covariates, self.combined = net, scale, covariates, combined
        self.nonnegative = nonnegative
        if end is not None:  # the members' forecasts from the end of the one training series, built in
            self.register_buffer("end_references", torch.as_tensor(end["references"], dtype=torch.float32))
            self.register_buffer("end_weights", torch.as_tensor(end["weights"], dtype=torch.float32))

    def _end_members(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The built-in references (B, K, H, 1 + Q) and weights (B, 1 + K): the fitted weights for a window
        equal to the training data's last (to float32 precision), the network alone for any other."""
        weights = self.end_weights
        same = _ends_as(x, self.last_window)  # (B, 1)
        alone = torch.zeros_like(weights)
        alone[0] = 1.0
        refs = self.end_references.unsqueeze(0).expand(x.shape[0], -1, -1, -1)
        return refs, torch.where(same, weights, alone)

    def _carried(self, history: torch.Tensor) -> torch.Tensor:
        """(B, W + H) the carried seasons at the last W steps of ``history`` and the H after: a history whose
        last window is the training data's ends where it ended; any other, of T steps, is taken to start where
        the training data started, so it ends T - train_length steps after it."""
        W, H, P = self.net.window, self.net.horizon, self.season_cycle.shape[0]
        # the step after the history, counted from the one after the training data: (B, 1)
        offset = torch.full_like(history[:, :1, 0], history.shape[1] - self.train_length, dtype=torch.long)
        if self.knows_end:
            offset = torch.where(_ends_as(history[:, -W:, 0], self.last_window), 0, offset)
        steps = torch.arange(-W, H, device=history.device).unsqueeze(0) + offset  # (B, W + H)
        return self.season_cycle[torch.remainder(steps, P)]

    def forward(self, history: torch.Tensor, *extra: torch.Tensor) -> tuple[torch.Tensor, ...]:
        W = self.net.window
        x = history[:, -W:, 0]  # (B, W)
        rest = list(extra)
        cov = rest.pop(0)[:, -W:, :] if self.has_covariates else None  # (B, W, C)
        scale = (
            rest.pop(0) if self.fixed_scale is None else torch.full_like(x[:, :1], self.fixed_scale)
        )  # (B, 1)
        phase = rest.pop(0) if self.net.calendar else None  # (B,)
        if self.seasonal:
            seasons = self._carried(history) if self.carries_seasons else rest.pop(0)  # (B, W + H)
            out = self.net(x - seasons[:, :W], scale, cov, phase) + seasons[:, W:, None]  # (B, H, 1 + Q)
        else:
            out = self.net(x, scale, cov, phase)  # (B, H, 1 + Q)
        if self.combined:  # the network and the classical members' forecasts, weighted per series
            references, weights = (
                self._end_members(x) if self.carries_end else rest
            )  # (B, K, H, 1 + Q), (B, 1 + K)
            out = weights[:, :1, None] * out + (weights[:, 1:, None, None] * references).sum(dim=1)
            if out.shape[-1] > 2:
                out = torch.cat([out[..., :1], out[..., 1:].sort(dim=-1).values], dim=-1)
        if self.nonnegative:
            out = out.clamp(min=0.0)
        if out.shape[-1] == 1:
            return (out[..., 0],)
        return out[..., 0], out[..., 1:]


def export_forecast_net(
    net: ForecastNetwork,
    path: str | Path,
    *,
    scale: float | None,
    n_covariates: int,
    n_references: int,
    seasonal: bool = False,
    carried_seasons: tuple[list[float], int] | None = None,
    last_window: list[float] | None = None,
    end: dict[str, Any] | None = None,
    nonnegative: bool = False,
) -> Path:
    """Write a fitted forecast network as ONNX (see the module docs).

    Args:
        net: the network.
        path: the ``.onnx`` file.
        scale: the one series' scale, built into the graph; ``None`` for a model of several series
            (the graph then takes ``scale``).
        n_covariates: C, the covariate columns (the graph takes ``covariates`` when > 0).
        n_references: K, the classical members combined with the network (the graph takes
            ``references`` and ``weights`` when > 0, unless ``end`` is given).
        seasonal: the network sees the series seasonally adjusted (the graph takes ``seasons``, unless it
            carries them).
        carried_seasons: for one series, its seasons from the step after its training data (P values, a cycle)
            and the training data's length, to build in.
        last_window: for one series, the training data's last W values (or None: a history is then placed by
            its length), built in with ``carried_seasons`` or ``end``.
        end: for one series without covariates, the members' forecasts from the end of the training
            data to build in (``last_window`` required): ``references`` (K, H, 1 + Q) and ``weights`` (1 + K,).
        nonnegative: forecasts and quantiles are kept >= 0 (a model whose training data had no negative value).
    """
    graph = ForecastGraph(
        net,
        scale=scale,
        covariates=n_covariates > 0,
        combined=n_references > 0,
        seasonal=seasonal,
        carried_seasons=carried_seasons,
        last_window=last_window,
        end=end,
        nonnegative=nonnegative,
    )
    W = net.window
    args: tuple[torch.Tensor, ...] = (
        torch.rand(2, W + 1, 1) + 1.0,
    )  # positive: a log-transform model needs it
    inputs, dynamic = ["history"], {"history": {0: "batch", 1: "time"}}
    if n_covariates:
        args += (torch.zeros(2, W + 1, n_covariates),)
        inputs.append("covariates")
        dynamic["covariates"] = {0: "batch", 1: "time"}
    if scale is None:
        args += (torch.ones(2, 1),)
        inputs.append("scale")
        dynamic["scale"] = {0: "batch"}
    if net.calendar:
        args += (torch.tensor([0, 5]),)
        inputs.append("phase")
        dynamic["phase"] = {0: "batch"}
    if seasonal and carried_seasons is None:
        args += (torch.zeros(2, W + net.horizon),)
        inputs.append("seasons")
        dynamic["seasons"] = {0: "batch"}
    if n_references and end is None:
        K = n_references
        args += (torch.ones(2, K, net.horizon, 1 + len(net.quantiles)), torch.full((2, 1 + K), 1.0 / (1 + K)))
        inputs += ["references", "weights"]
        dynamic["references"], dynamic["weights"] = {0: "batch"}, {0: "batch"}
    outputs = ["forecast"] + (["quantiles"] if net.quantiles else [])
    for name in outputs:
        dynamic[name] = {0: "batch"}
    return _export(graph, args, path, inputs=inputs, outputs=outputs, dynamic=dynamic)


class ClassifyGraph(nn.Module):
    """A classifier's net with lengths read off NaN padding and a softmax: raw sequences in, probabilities out."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, sequences: torch.Tensor) -> torch.Tensor:
        T = sequences.shape[1]
        valid = (~torch.isnan(sequences).all(dim=-1)).long()  # (B, T), 0 on all-NaN steps
        steps = torch.arange(1, T + 1, device=sequences.device).unsqueeze(0)  # (1, T)
        lengths = (valid * steps).max(dim=1).values.clamp_min(1)  # (B,) last valid step + 1
        return torch.softmax(self.net(sequences, lengths), dim=-1)  # (B, K)


def export_classify_net(net: nn.Module, path: str | Path, *, n_features: int) -> Path:
    """Write a fitted sequence classification network (it takes ``(x, lengths)``, returns scores) as ONNX
    (see the module docs); ``n_features`` is F, the features per step."""
    example = torch.randn(3, 6, n_features)
    example[1, 4:] = float("nan")  # a shorter sequence, so the traced graph carries lengths
    return _export(
        ClassifyGraph(net),
        (example,),
        path,
        inputs=["sequences"],
        outputs=["scores"],
        dynamic={"sequences": {0: "batch", 1: "time"}, "scores": {0: "batch"}},
    )
