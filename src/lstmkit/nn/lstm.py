"""The LSTM layer: stacked, optionally bidirectional and projected, weight-compatible with torch.nn.LSTM.

Its backends are the reference LSTM (:mod:`lstmkit.nn.reference`), made fast: ``"fused"`` is torch's
kernel, ``"explicit"`` the same steps with a compiled time loop and a hand-written backward.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.nn.utils.rnn import PackedSequence

from lstmkit.errors import ConfigError
from lstmkit.nn import checks, lstm_inputs
from lstmkit.nn.explicit import explicit_layer
from lstmkit.nn.fused import fused_lstm
from lstmkit.nn.lstm_inputs import Prepared
from lstmkit.nn.reference import LSTMTrace
from lstmkit.nn.trace import trace_lstm
from lstmkit.nn.variant_explicit import variant_layer
from lstmkit.nn.variants import extra_parameter_shapes, reset_lstm_parameters


class LSTM(nn.Module):
    r"""A multi-layer LSTM over a sequence, with its gates written out.

    For each layer and time step ``t``, with ``x_t`` the input (the previous layer's output
    for layers past the first)::

        i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
        f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)                  # h_t = W_hr (o_t * tanh(c_t)) if proj_size > 0

    Between layers the output passes through dropout with probability ``dropout`` (training
    only). Parameters, their names, shapes, gate order (i, f, g, o) and initialisation
    (uniform in ±1/sqrt(H)) are those of :class:`torch.nn.LSTM`, so state dicts load both ways.

    Args:
        input_size: features per step, F.
        hidden_size: units per layer and direction, H.
        num_layers: stacked layers, L.
        bias: whether to use ``b_ih`` and ``b_hh``.
        batch_first: inputs and outputs are ``(B, T, *)`` instead of ``(T, B, *)``.
        dropout: dropout probability on the outputs of every layer but the last.
        bidirectional: run a reverse direction too (D = 2) and concatenate its output.
        proj_size: if > 0, project h to this size, P (else P = H).
        backend: ``"fused"`` (torch's kernel), ``"explicit"`` (lstmkit's gate-by-gate autograd
            function with a hand-written backward through time) or ``"auto"`` (fused unless a
            variant is active).
        device, dtype: of the parameters.
        **variants: ``forget_bias``, ``layer_norm``, ``peephole``, ``coupled_gates``,
            ``recurrent_dropout``, ``weight_drop``, ``zoneout``, ``activation``,
            ``recurrent_activation``; all off by default. Their equations are in :mod:`lstmkit.nn.reference`,
            their extra parameters (``ln_ih_weight_l0``, ...) in :mod:`lstmkit.nn.variants`.
            Any but ``forget_bias`` (which only changes the initialisation) makes ``"auto"`` run
            the explicit backend; there the time loop runs compiled with a hand-written backward
            (:mod:`lstmkit.nn.variant_explicit`) where the extension applies, and as autograd
            over one step at a time otherwise, with the non-recurrent work (input projection,
            its layer norm, the weight drop) done once for all steps either way.

    As torch.nn.LSTM on every backend: double backward (``create_graph=True``, e.g. gradient
    penalties), batched gradients and torch.func (``jacrev``, ``grad``, ``vmap``: the explicit
    backend then differentiates its per-step autograd loop, :mod:`lstmkit.nn.autograd_loop`),
    autocast (runs in autocast's dtype), an empty batch, and ``all_weights``.

    Shapes (batch_first=False; swap T and B otherwise; unbatched input drops B):
        input ``(T, B, F)`` or a PackedSequence; ``h_0 (L*D, B, P)``, ``c_0 (L*D, B, H)``;
        output ``(T, B, D*P)`` (PackedSequence in, PackedSequence out), ``h_n``, ``c_n`` as h_0, c_0.

    Raises:
        ConfigError (a ValueError): for invalid constructor arguments, unknown variant keywords
            or values, or ``backend="fused"`` with a variant that changes the step.
        ConfigTypeError (a TypeError): a size that is not an int or a flag that is not a bool,
            as torch.nn.LSTM.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        *,
        backend: str = "auto",
        device: Any = None,
        dtype: Any = None,
        **variants: Any,
    ) -> None:
        super().__init__()
        checks.check_sizes(
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            dropout=dropout,
            proj_size=proj_size,
            backend=backend,
            bias=bias,
            batch_first=batch_first,
            bidirectional=bidirectional,
        )
        self.variants = checks.check_variants("LSTM", variants, bias=bias)
        if backend == "fused" and self.variants.changes_math:
            raise ConfigError(
                f"backend='fused' runs torch's kernel, which has no variants, but got "
                f"{', '.join(f'{k}={v!r}' for k, v in self.variants.active.items())}; "
                "use backend='explicit' or 'auto'"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"dropout={dropout} has no effect with num_layers=1: dropout applies between "
                "stacked layers only",
                stacklevel=2,
            )
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size, self.backend = bidirectional, proj_size, backend
        factory = {"device": device, "dtype": dtype}
        dirs = 2 if bidirectional else 1
        out_size = proj_size or hidden_size  # P
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else out_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    (f"weight_ih{sfx}", (4 * hidden_size, layer_in)),
                    (f"weight_hh{sfx}", (4 * hidden_size, out_size)),
                ]
                if bias:
                    shapes += [(f"bias_ih{sfx}", (4 * hidden_size,)), (f"bias_hh{sfx}", (4 * hidden_size,))]
                if proj_size > 0:
                    shapes.append((f"weight_hr{sfx}", (proj_size, hidden_size)))
                for name, shape in shapes:
                    self.register_parameter(name, nn.Parameter(torch.empty(shape, **factory)))
                    self._flat_weights_names.append(name)
        self._variant_init: dict[str, float | None] = {}  # variant parameter name -> constant init
        for layer in range(num_layers):
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                for name, shape, init in extra_parameter_shapes(self.variants, hidden_size, sfx):
                    self.register_parameter(name, nn.Parameter(torch.empty(shape, **factory)))
                    self._variant_init[name] = init
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from uniform(-1/sqrt(H), 1/sqrt(H)), as torch.nn.LSTM does.

        Then layer-norm gains are set to 1 and offsets to 0, and ``forget_bias`` is added to the
        forget-gate block of every ``bias_ih``.
        """
        reset_lstm_parameters(
            self, self._variant_init, [n for n in self._flat_weights_names if n.startswith("bias_ih")]
        )

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Tensor]]:
        """The parameters per layer and direction, ``[[w_ih, w_hh, (b_ih, b_hh), (w_hr)], ...]``, as torch's."""
        return [
            self.layer_weights(layer, d)
            for layer in range(self.num_layers)
            for d in range(self.num_directions)
        ]

    def layer_weights(self, layer: int, direction: int) -> list[Tensor]:
        """The flat weights ``[w_ih, w_hh, (b_ih, b_hh), (w_hr)]`` of one layer-direction."""
        per = len(self._flat_weights_names) // (self.num_layers * self.num_directions)
        start = (layer * self.num_directions + direction) * per
        return self._flat_weights[start : start + per]

    def variant_weights(self, layer: int, direction: int) -> dict[str, Tensor]:
        """The variant parameters of one layer-direction, by name without the suffix."""
        sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        return {n[: -len(sfx)]: getattr(self, n) for n in self._variant_init if n.endswith(sfx)}

    def resolved_backend(self) -> str:
        """The backend forward runs: ``"auto"`` means fused unless a variant changes the step."""
        if self.backend == "auto":
            return "explicit" if self.variants.changes_math else "fused"
        return self.backend

    def flatten_parameters(self) -> None:
        """No-op, for code written against torch.nn.LSTM."""

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        for name, default in (
            ("num_layers", 1),
            ("bias", True),
            ("batch_first", False),
            ("dropout", 0.0),
            ("bidirectional", False),
            ("proj_size", 0),
            ("backend", "auto"),
        ):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)!r}"
        for name, value in self.variants.active.items():
            s += f", {name}={value!r}"
        return s

    # ---- forward ---------------------------------------------------------------------------

    def prepare(self, input: Tensor | PackedSequence, hx: tuple[Tensor, Tensor] | None) -> Prepared:
        """Validate a forward call and bring it to the shared layout (:mod:`lstmkit.nn.lstm_inputs`)."""
        return lstm_inputs.prepare(self, input, hx)

    def finish(
        self, prep: Prepared, out: Tensor, h_n: Tensor, c_n: Tensor
    ) -> tuple[Any, tuple[Tensor, Tensor]]:
        """Bring backend results back to the caller's layout and batch order."""
        return lstm_inputs.finish(prep, out, h_n, c_n, batch_first=self.batch_first)

    def forward(
        self, input: Tensor | PackedSequence, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Any, tuple[Tensor, Tensor]]:
        """Run the LSTM; see the class docstring for the equations and shapes.

        Returns:
            ``(output, (h_n, c_n))`` as torch.nn.LSTM returns them.

        Raises:
            ValueError: input not 2-D/3-D, or dtypes of input, parameters and states differ.
            RuntimeError: input feature size other than input_size, hx of the wrong shape, or a
                sequence of length 0.
        """
        prep = self.prepare(input, hx)
        if self.resolved_backend() == "fused":
            out, h_n, c_n = fused_lstm(
                prep.input,
                (prep.h0, prep.c0),
                self._flat_weights,
                batch_sizes=prep.batch_sizes,
                bias=self.bias,
                num_layers=self.num_layers,
                dropout=self.dropout,
                training=self.training,
                bidirectional=self.bidirectional,
                batch_first=self.batch_first,
            )
            return self.finish(prep, out, h_n, c_n)
        device = prep.input.device.type
        low = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else None
        if low is not None and prep.input.dtype not in (torch.float64, low):
            with torch.autocast(
                device, enabled=False
            ):  # as autocast runs torch's LSTM: in its lower precision
                rows, h_n, c_n = self._explicit(prep, cast=low)
        else:
            rows, h_n, c_n = self._explicit(prep)  # (N, D*P)
        if prep.batch_sizes is None:
            out = rows.view(prep.sched.steps, prep.sched.batch, rows.size(-1))  # (T, B, D*P)
            out = out.transpose(0, 1) if self.batch_first else out
        else:
            out = rows
        return self.finish(prep, out, h_n, c_n)

    def _explicit(self, prep: Prepared, cast: torch.dtype | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """The explicit backend over all layers: packed output ``(N, D*P)``, ``h_n``, ``c_n``.

        ``cast``: run in this dtype (autocast's), inputs, states and parameters converted.
        """
        x = prep.rows(self.batch_first)  # (N, F)
        h0, c0 = prep.h0, prep.c0
        if cast is not None:
            x, h0, c0 = x.to(cast), h0.to(cast), c0.to(cast)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(self.num_directions):
                k = layer * self.num_directions + d
                weights = self.layer_weights(layer, d)
                weights = weights if cast is None else [w.to(cast) for w in weights]
                if self.variants.changes_math:
                    extra = self.variant_weights(layer, d)
                    extra = extra if cast is None else {n: w.to(cast) for n, w in extra.items()}
                    out, h, c, _ = variant_layer(
                        x,
                        h0[k],
                        c0[k],
                        weights,
                        extra,
                        self.variants,
                        has_bias=self.bias,
                        sched=prep.sched,
                        reverse=d == 1,
                        training=self.training,
                    )
                else:
                    out, h, c = explicit_layer(
                        x, h0[k], c0[k], weights, has_bias=self.bias, sched=prep.sched, reverse=d == 1
                    )
                outs.append(out)
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if len(outs) == 1 else torch.cat(outs, 1)  # (N, D*P)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        if len(h_n) == 1:
            return x, h_n[0].unsqueeze(0), c_n[0].unsqueeze(0)
        return x, torch.stack(h_n), torch.stack(c_n)

    def trace(self, input: Tensor | PackedSequence, hx: tuple[Tensor, Tensor] | None = None) -> LSTMTrace:
        """Run the LSTM and record every gate, cell and hidden state of every step.

        Runs without gradient tracking. On the fused backend, where the compiled loop is
        unavailable, the gates are recovered after torch's kernel, from each layer's hidden
        sequence, with batched matmuls; elsewhere every backend records them as it runs. Dropout between
        layers applies as in forward (training mode only).

        Returns:
            an :class:`LSTMTrace`.
        """
        return trace_lstm(self, input, hx)

    # ---- conversion to and from torch.nn.LSTM ------------------------------------------------

    def _config(self) -> dict[str, Any]:
        return {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bias": self.bias,
            "batch_first": self.batch_first,
            "dropout": self.dropout,
            "bidirectional": self.bidirectional,
            "proj_size": self.proj_size,
        }

    @classmethod
    def from_torch(cls, module: nn.LSTM, *, backend: str = "auto") -> LSTM:
        """An lstmkit LSTM with the configuration and a copy of the weights of ``module``."""
        w = module.weight_ih_l0
        new = cls(
            module.input_size,
            module.hidden_size,
            module.num_layers,
            module.bias,
            module.batch_first,
            module.dropout,
            module.bidirectional,
            module.proj_size,
            backend=backend,
            device=w.device,
            dtype=w.dtype,
        )
        new.load_state_dict(module.state_dict())
        return new.train(module.training)

    def to_torch(self) -> nn.LSTM:
        """A torch.nn.LSTM with this layer's configuration and a copy of its weights.

        Raises:
            ConfigError: when a variant changes the step (torch.nn.LSTM has none).
        """
        if self.variants.changes_math:
            raise ConfigError(
                f"to_torch() needs a standard LSTM, but this one has {', '.join(self.variants.active)}; "
                "torch.nn.LSTM has no variants"
            )
        w = self.weight_ih_l0
        module = nn.LSTM(**self._config(), device=w.device, dtype=w.dtype)
        module.load_state_dict(self.state_dict())
        return module.train(self.training)
