"""The forecaster's network: an ensemble of small LSTMs, each with a linear skip, on level-normalised windows.

Everything between a raw history window and a forecast in data units is here, in torch, so
the same graph serves training, prediction and ONNX export::

    z     = log(x)  if log  else x                 # (B, L)   variance-stabilised
    level = mean(z[:, -m:])                        # (B, 1)   last season's level (m = season)
    u     = (z - level) / scale                    # (B, L)   per-window, per-series normalised
    v_k   = skip_k(u[:, -L_k:]) + head_k(LSTM_k(u[:, -L_k:], covariates, phases), future phases)  # member k
    y     = inverse(level + scale * median_k(v_k))  # (B, H)  data units
    q_j   = inverse(level + scale * (p + s_j * (mean_k(q_kj) - p)))  # quantile j, p the median point,
                                                    # s_j >= 1 calibrated on validation

Members differ by seed and lookback ``L_k``; the linear skip (an autoregression on the
normalised window, as in LSTNet's highway) carries the seasonal pattern and the trend on short
series, and the LSTM learns what is left. Quantiles, when asked for, come from a second head
as a lowest quantile plus cumulative softplus steps, so they never cross; trained on the training
windows they come out too narrow, so their distance from the point is widened by the factor ``s``
that the forecaster's out-of-sample validation asks for (``interval_scale``; 1 until set, see
:mod:`lstmkit.models.forecast_intervals`). With the calendar on,
the LSTMs read each window step's phase in the season, and each head the phases of the H
forecast steps: the known future.
"""

from __future__ import annotations

import math
from dataclasses import asdict

import torch
from torch import nn
from torch.nn import functional as F

from lstmkit.nn import LSTM
from lstmkit.nn.variants import Variants


class Member(nn.Module):
    """One ensemble member: LSTM over the last ``lookback`` steps, a linear head and a linear skip.

    Args:
        lookback: steps of the window this member reads, L_k.
        horizon: steps forecast, H.
        input_size: features per step, 1 + covariates.
        hidden_size, num_layers, dropout: the LSTM's.
        n_quantiles: quantile outputs per step, Q (0 for a point forecast only).
    """

    def __init__(
        self,
        *,
        lookback: int,
        horizon: int,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        dropout: float,
        n_quantiles: int,
        n_future: int = 0,
        variants: Variants | None = None,
        components: str = "full",
    ):
        super().__init__()
        self.lookback, self.horizon, self.n_quantiles = lookback, horizon, n_quantiles
        self.use_lstm, self.use_skip = components in ("full", "lstm"), components in ("full", "linear")
        self.lstm = LSTM(
            input_size,
            hidden_size,
            num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
            **asdict(variants or Variants()),
        )
        self.head = nn.Linear(hidden_size + horizon * n_future, horizon * (1 + n_quantiles))
        self.skip = nn.Linear(lookback, horizon)
        nn.init.zeros_(self.skip.weight)
        nn.init.zeros_(self.skip.bias)

    def forward(self, u: torch.Tensor, future: torch.Tensor | None = None) -> torch.Tensor:
        """Map normalised windows ``u`` (B, L, F), and known-future inputs (B, H, K), to (B, H, 1 + Q):
        the point, then raw quantile outputs."""
        u = u[:, -self.lookback :, :]  # (B, L_k, F)
        if self.use_lstm:
            out, _ = self.lstm(u)  # (B, L_k, hidden)
            features = out[:, -1, :]  # (B, hidden)
        else:  # ablation: the linear skip alone (the heads see no LSTM state)
            features = u.new_zeros(u.shape[0], self.lstm.hidden_size)
        if future is not None:
            features = torch.cat([features, future.flatten(1)], dim=1)  # (B, hidden + H * K)
        y = self.head(features).view(-1, self.horizon, 1 + self.n_quantiles)  # (B, H, 1 + Q)
        point = y[..., :1] + self.skip(u[..., 0]).unsqueeze(-1) if self.use_skip else y[..., :1]  # (B, H, 1)
        if not self.n_quantiles:
            return point
        raw = y[..., 1:]  # (B, H, Q)
        lowest = point + raw[..., :1]  # (B, H, 1), the lowest quantile, relative to the point
        steps = F.softplus(raw[..., 1:])  # (B, H, Q - 1), positive
        quantiles = torch.cat([lowest, lowest + torch.cumsum(steps, dim=-1)], dim=-1)  # (B, H, Q), ascending
        return torch.cat([point, quantiles], dim=-1)


class ForecastNet(nn.Module):
    """The ensemble plus the in-graph pre- and post-processing.

    Args:
        lookbacks: each member's lookback; the input window is ``max(lookbacks)`` long.
        horizon: H.
        n_covariates: past covariates per step, C.
        hidden_size, num_layers, dropout: each member's LSTM.
        quantiles: quantile levels in (0, 1), ascending (empty for a point forecast).
        season: m, the steps averaged for a window's level (1 = the last value).
        log: model log(x) (positive data with multiplicative seasonality).
        components: ``"full"``, or an ablation: ``"linear"`` (the skip alone) or ``"lstm"`` (no skip).
    """

    cov_mean: torch.Tensor  # (C,) buffers: the covariates' scaling
    cov_std: torch.Tensor
    interval_scale: torch.Tensor  # (Q,) each quantile's widening, calibrated on validation windows

    def __init__(
        self,
        *,
        lookbacks: list[int],
        horizon: int,
        n_covariates: int = 0,
        hidden_size: int = 32,
        num_layers: int = 1,
        dropout: float = 0.0,
        quantiles: tuple[float, ...] = (),
        season: int = 1,
        log: bool = False,
        calendar: bool = False,
        variants: Variants | None = None,
        components: str = "full",
        baseline: str = "none",
        drift: float = 0.0,
    ):
        super().__init__()
        self.baseline_kind, self.drift = baseline, drift
        self.lookbacks, self.horizon, self.season, self.log = list(lookbacks), horizon, max(1, season), log
        self.calendar = calendar and self.season > 1  # the phase in the season of each forecast step
        self.quantiles = tuple(quantiles)
        self.members = nn.ModuleList(
            Member(
                lookback=lb,
                horizon=horizon,
                input_size=1 + n_covariates + (2 if self.calendar else 0),
                hidden_size=hidden_size,
                num_layers=num_layers,
                dropout=dropout,
                n_quantiles=len(self.quantiles),
                n_future=2 if self.calendar else 0,
                variants=variants,
                components=components,
            )
            for lb in self.lookbacks
        )
        # covariate standardisation, fitted on the training data (identity until set)
        self.register_buffer("cov_mean", torch.zeros(n_covariates))
        self.register_buffer("cov_std", torch.ones(n_covariates))
        self.register_buffer("interval_scale", torch.ones(len(self.quantiles)))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # weights saved before the intervals were calibrated: as they were trained
        state_dict.setdefault(prefix + "interval_scale", torch.ones_like(self.interval_scale))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @property
    def window(self) -> int:
        return max(self.lookbacks)

    # ---- transforms between data units and the normalised space the members see

    def to_z(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(x) if self.log else x

    def from_z(self, z: torch.Tensor) -> torch.Tensor:
        return torch.exp(z) if self.log else z

    def level(self, z: torch.Tensor) -> torch.Tensor:
        """(B, L) -> (B, 1): the mean of the last season, a level free of the seasonal pattern."""
        return z[:, -self.season :].mean(dim=1, keepdim=True)

    def normalise(
        self, z: torch.Tensor, cov: torch.Tensor | None, scale: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Transformed windows ``z`` (B, L), covariates (B, L, C), per-window scale (B, 1) -> inputs (B, L, F), level (B, 1)."""
        level = self.level(z)
        u = ((z - level) / scale).unsqueeze(-1)  # (B, L, 1)
        if cov is not None and cov.shape[-1]:
            u = torch.cat([u, (cov - self.cov_mean) / self.cov_std], dim=-1)  # (B, L, F)
        return u, level

    def calendar_inputs(
        self, u: torch.Tensor, first: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """With the calendar on: ``(sin, cos)`` of the phase in the season of every window step, appended to
        the inputs ``u`` (B, L, F), and of every forecast step, (B, H, 2), from the calendar ordinal of each
        first forecast step ``first`` (B,). Without it: ``(u, None)``."""
        if not self.calendar:
            return u, None
        assert first is not None  # the calendar comes with the first forecast steps' ordinals
        L = u.shape[1]
        steps = first.unsqueeze(1) + torch.arange(-L, self.horizon, device=first.device)  # (B, L + H)
        angle = torch.remainder(steps, self.season).to(u.dtype) * (2 * math.pi / self.season)
        phase = torch.stack([torch.sin(angle), torch.cos(angle)], dim=-1)  # (B, L + H, 2)
        return torch.cat([u, phase[:, :L]], dim=-1), phase[:, L:]

    def inputs(
        self, z: torch.Tensor, cov: torch.Tensor | None, scale: torch.Tensor, first: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """The members' inputs, in training and prediction alike: transformed windows ``z`` (B, L),
        covariates (B, L, C), scale (B, 1) and the ordinal of each first forecast step (B,) ->
        normalised inputs (B, L, F), known-future phases (B, H, 2) or None, and the level (B, 1)."""
        u, level = self.normalise(z, cov, scale)
        u, future = self.calendar_inputs(u, first)
        return u, future, level

    def baseline(self, u: torch.Tensor) -> torch.Tensor:
        """(B, L) normalised windows -> (B, H): the seasonal random walk with (damped) drift that members correct.

        Step h repeats the value one season back, ``k = ceil(h / m)`` seasons before it, plus the drift
        over those ``k * m`` steps; the drift is ``self.drift`` times the window's mean seasonal
        difference per step (a smoothed trend, as the Theta method halves it).
        """
        L = u.shape[1]
        m = self.season if L > self.season else 1  # a window within one season: the last value, with drift
        h = torch.arange(self.horizon, device=u.device)
        seasons_back = torch.div(h, m, rounding_mode="floor") + 1  # (H,) k = ceil((h + 1) / m)
        idx = L - m + torch.remainder(h, m)  # (H,) the same phase in the last season
        slope = (u[:, m:] - u[:, :-m]).mean(dim=1, keepdim=True) / m  # (B, 1) per step
        return u[:, idx] + self.drift * slope * (seasons_back * m).to(u.dtype)  # (B, H)

    def members_out(self, u: torch.Tensor, future: torch.Tensor | None = None) -> torch.Tensor:
        """(B, L, F) and known-future inputs (B, H, 2) or None -> (K, B, H, 1 + Q) in normalised units."""
        out = torch.stack([member(u, future) for member in self.members])  # (K, B, H, 1 + Q)
        if self.baseline_kind == "none":
            return out
        return out + self.baseline(u[..., 0]).unsqueeze(-1)  # the point and the quantiles move with it

    def combine(self, out: torch.Tensor) -> torch.Tensor:
        """(K, B, H, 1 + Q) -> (B, H, 1 + Q): the members' median point and mean quantiles, each quantile's
        distance from the point widened by its ``interval_scale``, those below 0.5 at most the point and those
        above at least it (the heads keep the quantiles in order, not the point among them: on a series unlike
        the training windows the lowest could come out above the point)."""
        k = out.shape[0]
        # the lower median, as torch.median gives, through a sort (which ONNX exports; median does not)
        point = out[..., :1].sort(dim=0).values[(k - 1) // 2] if k > 2 else out[..., :1].mean(dim=0)
        quantiles = point + self.interval_scale * (out[..., 1:].mean(dim=0) - point)
        below = torch.tensor([q < 0.5 for q in self.quantiles], dtype=torch.bool, device=out.device)  # (Q,)
        above = torch.tensor([q > 0.5 for q in self.quantiles], dtype=torch.bool, device=out.device)  # (Q,)
        quantiles = torch.where(below, torch.minimum(quantiles, point), quantiles)
        quantiles = torch.where(above, torch.maximum(quantiles, point), quantiles)
        return torch.cat([point, quantiles], dim=-1)

    def forward(
        self,
        x: torch.Tensor,
        scale: torch.Tensor,
        cov: torch.Tensor | None = None,
        first: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Raw history windows ``x`` (B, L) in data units, ``scale`` (B, 1), covariates (B, L, C) and, with the
        calendar, the ordinal of each first forecast step (B,) -> forecasts (B, H, 1 + Q) in data units."""
        u, future, level = self.inputs(self.to_z(x), cov, scale, first)
        v = self.combine(self.members_out(u, future))  # (B, H, 1 + Q)
        return self.from_z(level.unsqueeze(-1) + scale.unsqueeze(-1) * v)


def member_loss(
    out: torch.Tensor, target: torch.Tensor, quantiles: tuple[float, ...], *, point: str = "mae"
) -> torch.Tensor:
    """Training loss of every member at once: the point's absolute error (``point="mae"``: the median, what
    MASE scores) or squared error (``"mse"``: the mean) plus, with quantiles, pinball loss.

    Args:
        out: (K, B, H, 1 + Q) normalised outputs.
        target: (B, H) normalised truth.
    """
    err = target.unsqueeze(0) - out[..., 0]  # (K, B, H)
    per_step = err.abs() if point == "mae" else err.pow(2)
    loss = per_step.mean() * out.shape[0]  # members learn independently: sum over K
    if quantiles:
        q = torch.tensor(quantiles, dtype=out.dtype, device=out.device)  # (Q,)
        diff = target.unsqueeze(0).unsqueeze(-1) - out[..., 1:]  # (K, B, H, Q)
        loss = loss + torch.maximum(q * diff, (q - 1) * diff).mean() * out.shape[0] * 2
    return loss
