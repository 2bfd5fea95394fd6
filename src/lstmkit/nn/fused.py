"""The fused backend: torch's own LSTM kernel (oneDNN/ATen on CPU, cuDNN on GPU).

The same call ``torch.nn.LSTM.forward`` makes, on the flat weight list
``[w_ih, w_hh, (b_ih, b_hh), (w_hr)]`` per layer and direction. torch infers projections from
``h_0`` being narrower than ``c_0``.
"""

from __future__ import annotations

from torch import _VF, Tensor


def fused_lstm(
    data: Tensor,
    hx: tuple[Tensor, Tensor],
    flat_weights: list[Tensor],
    *,
    batch_sizes: Tensor | None,
    bias: bool,
    num_layers: int,
    dropout: float,
    training: bool,
    bidirectional: bool,
    batch_first: bool,
) -> tuple[Tensor, Tensor, Tensor]:
    """Run torch's fused LSTM.

    Args:
        data: ``(T, B, F)`` (``(B, T, F)`` if batch_first), or packed data ``(N, F)`` when
            ``batch_sizes`` is given.
        hx: ``h_0 (L*D, B, H_out)`` and ``c_0 (L*D, B, H)``, in the packed batch order.
        flat_weights: the parameters in torch's flat order.

    Returns:
        ``(output, h_n, c_n)`` with output in the layout of ``data``.
    """
    if batch_sizes is None:
        out, h_n, c_n = _VF.lstm(
            data, hx, flat_weights, bias, num_layers, dropout, training, bidirectional, batch_first
        )
    else:
        out, h_n, c_n = _VF.lstm(
            data, batch_sizes, hx, flat_weights, bias, num_layers, dropout, training, bidirectional
        )
    return out, h_n, c_n
