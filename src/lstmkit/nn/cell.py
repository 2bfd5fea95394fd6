"""The LSTM cell: one time step, written out gate by gate, weight-compatible with torch.nn.LSTMCell."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from lstmkit.nn import checks, reference
from lstmkit.nn.variants import extra_parameter_shapes, reset_lstm_parameters, step_params, zoneout_keeps


class LSTMCell(nn.Module):
    r"""One LSTM step::

        i = σ(W_ii x + b_ii + W_hi h + b_hi)
        f = σ(W_if x + b_if + W_hf h + b_hf)
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)
        o = σ(W_io x + b_io + W_ho h + b_ho)
        c' = f * c + i * g
        h' = o * tanh(c')

    Parameters ``weight_ih (4H, F)``, ``weight_hh (4H, H)``, ``bias_ih (4H,)``, ``bias_hh (4H,)``,
    gates stacked i, f, g, o and initialised uniform in ±1/sqrt(H), exactly as
    :class:`torch.nn.LSTMCell`. The step is the reference's (:func:`lstmkit.nn.reference.step`,
    every variant); gradients come from autograd.

    Args:
        input_size: features, F.
        hidden_size: units, H.
        bias: whether to use ``bias_ih`` and ``bias_hh``.
        device, dtype: of the parameters.
        **variants: the variant keywords of :class:`lstmkit.nn.LSTM`, with the equations of
            :mod:`lstmkit.nn.variants` and extra parameters without a layer suffix
            (``ln_ih_weight``, ``peephole_weight``, ...). A cell sees one step: it draws its
            recurrent-dropout mask and weight drop afresh at every call (for one mask per
            sequence use :class:`lstmkit.nn.LSTM`); autograd gives the gradients.

    Shapes:
        input ``(B, F)`` or unbatched ``(F,)``; ``hx = (h, c)`` each ``(B, H)`` / ``(H,)``, zeros
        if None; returns ``(h', c')`` of the same shape as h, c.

    Raises:
        ConfigError (a ValueError): invalid sizes or unknown variant keywords.
        ConfigTypeError (a TypeError): a size that is not an int, a ``bias`` that is not a bool.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        device: Any = None,
        dtype: Any = None,
        **variants: Any,
    ) -> None:
        super().__init__()
        checks.check_sizes(input_size=input_size, hidden_size=hidden_size, bias=bias)
        self.variants = checks.check_variants("LSTMCell", variants, bias=bias)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        factory = {"device": device, "dtype": dtype}
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size, **factory))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size, **factory))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size, **factory))
            self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self._variant_init: dict[str, float | None] = {}  # variant parameter name -> constant init
        for name, shape, init in extra_parameter_shapes(self.variants, hidden_size, ""):
            self.register_parameter(name, nn.Parameter(torch.empty(shape, **factory)))
            self._variant_init[name] = init
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from uniform(-1/sqrt(H), 1/sqrt(H)), as torch.nn.LSTMCell does.

        Then layer-norm gains are set to 1 and offsets to 0, and ``forget_bias`` is added to the
        forget-gate block of ``bias_ih``.
        """
        reset_lstm_parameters(self, self._variant_init, ["bias_ih"] if self.bias else [])

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")
        return s + "".join(f", {k}={v!r}" for k, v in self.variants.active.items())

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        """One step; see the class docstring.

        Raises:
            ValueError: input or a state not 1-D/2-D, or dtypes of input, parameters and states differ.
            RuntimeError: input feature size other than input_size, or states whose batch or
                width does not fit (torch.nn.LSTMCell's texts).
        """
        checks.check_input(
            input, input_size=self.input_size, weight=self.weight_ih, dims=(1, 2), owner="LSTMCell"
        )
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)  # (B, F)
        if hx is None:
            h = c = checks.zeros_state(x.size(0), self.hidden_size, lead=(), like=x)
        else:
            h, c = checks.check_cell_state(hx, input=input, hidden_size=self.hidden_size)
            if not batched:
                h, c = h.unsqueeze(0), c.unsqueeze(0)
        v, extra = self.variants, {n: getattr(self, n) for n in self._variant_init}
        bias = self.bias_ih + self.bias_hh if self.bias else None
        ln_ih = (extra["ln_ih_weight"], extra["ln_ih_bias"]) if v.layer_norm else None
        a_x = reference.input_part(x, self.weight_ih, bias, ln_ih)  # (B, 4H)
        p = step_params(
            v, self.weight_hh, None, extra, batch=x.size(0), out_size=self.hidden_size, training=self.training
        )
        keep_c, keep_h = zoneout_keeps(v, c, h, training=self.training)
        h, c, _ = reference.step(a_x, h, c, p, v, keep_c=keep_c, keep_h=keep_h)  # (B, H) each
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))
