"""The layer: an LSTM with its gates written out, weight-compatible with torch.nn.LSTM.

- ``reference.py``: the reference LSTM, the layer written out one step at a time with every
  variant under plain autograd; every backend is this, made fast, and is tested against it.
  Its step is the cell's and the autograd loop's; :class:`LSTMTrace` is its record.
- :class:`LSTM` (``lstm.py``): stacked, bidirectional, projected; backends ``"fused"``
  (``fused.py``, torch's kernel) and ``"explicit"`` (``explicit.py``, a gate-by-gate autograd
  function with a hand-written backward through time); ``schedule.py`` owns the packed layout.
- :class:`LSTMCell` (``cell.py``): one step.
- ``trace.py``: :class:`LSTMTrace`, every gate, cell and hidden state of a forward pass, on every backend.
- ``variants.py``: the variant keywords (layer norm, peepholes, ...), their parameters and step;
  ``variant_explicit.py``: the variant layer's compiled loop with a hand-written backward.
- ``kernel.py`` + ``csrc/``: the compiled time loops of the explicit backend and its large
  matmuls, with the fallback; ``explicit_steps.py``: the plain backward loop in PyTorch ops.
- ``autograd_loop.py``: the explicit backend as per-step autograd ops, for double backward,
  batched gradients, torch.func and an empty batch.
- :class:`StatefulLSTM`, :func:`detach_state` (``stateful.py``): truncated BPTT across batches.
- ``checks.py``: validation of constructor arguments, inputs and states.
"""

from lstmkit.nn.cell import LSTMCell
from lstmkit.nn.lstm import LSTM
from lstmkit.nn.stateful import StatefulLSTM, detach_state
from lstmkit.nn.trace import LSTMTrace

__all__ = ["LSTM", "LSTMCell", "LSTMTrace", "StatefulLSTM", "detach_state"]
