"""The layer: an LSTM with its gates written out, weight-compatible with torch.nn.LSTM.

- ``reference.py``: the reference LSTM, the layer written out one step at a time with every
  variant under plain autograd; every backend is this, made fast, and is tested against it. Its
  step is the cell's and the autograd loops'; :class:`LSTMTrace` is its record.
- :class:`LSTM` (``lstm.py``): stacked, bidirectional, projected; backends ``"fused"``
  (``fused.py``, torch's kernel) and ``"explicit"`` (``explicit.py``, a gate-by-gate autograd
  function with a hand-written backward through time); ``schedule.py`` owns the packed layout,
  ``lstm_inputs.py`` the checks of a forward call's input and state and the layout they are brought to.
- :class:`LSTMCell` (``cell.py``): one step.
- ``trace.py``: :class:`LSTMTrace`, every gate, cell and hidden state of a forward pass, on every backend.
- ``variants.py``: the variant keywords (layer norm, peepholes, ...): the :class:`Variants` fields,
  their checks, extra parameters and random draws; ``variant_explicit.py``: the variant layer,
  its time loop with a hand-written backward.
- Twin loops, the same ops with the same arguments and numbers: ``csrc/explicit_loop.cpp`` and
  ``explicit_loop.py`` (the explicit backend), ``csrc/variant_loop.cpp`` and ``variant_loop.py``
  (the variants): compiled where ``kernel.py`` builds the extension, in torch ops elsewhere.
  ``kernel.py`` also runs the large matmuls outside the loops.
- ``autograd_loop.py``: the backends as per-step autograd ops (the reference's step), for double
  backward, batched gradients, torch.func and an empty batch.
- :class:`StatefulLSTM`, :func:`detach_state` (``stateful.py``): truncated BPTT across batches.
- ``checks.py``: validation of constructor arguments, inputs and states.

Adding a variant (say ``gate_clip``):

1. ``variants.py``: a field of :class:`Variants`, ``variant_field(default, kind, init_only=...)``:
   its default is "off", ``kind`` picks its check in ``CHECKS`` (add one for a new kind),
   ``init_only=True`` if it only changes the initialisation (then ``reset_lstm_parameters``).
   The keyword, its validation, repr, the jobs' configs and ``changes_math`` (``"auto"`` runs
   explicit, ONNX export and ``to_torch`` refuse) follow from the field. Say what it means in the
   module docstring; extra parameters in ``extra_parameter_shapes``; random draws beside ``draw``.
2. ``reference.py``: the equation, in the module docstring and in ``step`` (``Noise`` and
   ``draw_noise`` for new random draws). The cell and the autograd loops follow.
3. The fast path: ``variant_explicit.py`` (``variant_layer``, ``VariantLayerFunction``), then
   ``csrc/variant_loop.cpp`` (+ ``csrc/variant_cell.h``) and its twin ``variant_loop.py``, forward
   and backward.
4. Tests: a case in ``VARIANTS`` of ``tests/nn/test_variants.py`` (layer and cell against the
   reference, every gradient, gradcheck) and in ``CASES`` of ``tests/nn/test_variant_explicit.py``
   (compiled and PyTorch loops against the reference); ``VARIANTS`` of
   ``tests/nn/test_torch_compat.py`` (double backward, batched gradients); a bad value's message
   in ``tests/nn/test_errors.py`` for a new kind. Time it in ``benchmarks/bench_lstm.py``'s ``VARIANTS``.
"""

from lstmkit.nn.cell import LSTMCell
from lstmkit.nn.lstm import LSTM
from lstmkit.nn.reference import LSTMTrace
from lstmkit.nn.stateful import StatefulLSTM, detach_state

__all__ = ["LSTM", "LSTMCell", "LSTMTrace", "StatefulLSTM", "detach_state"]
