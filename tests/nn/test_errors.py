"""The layer's and the cell's error messages, pinned."""

import re

import pytest
import torch

from lstmkit.errors import ConfigError
from lstmkit.nn import LSTM, LSTMCell


@pytest.mark.parametrize("backend", ["fused", "explicit"])
def test_wrong_input_size(backend):
    with pytest.raises(
        RuntimeError, match=re.escape("input.size(-1) must be equal to input_size. Expected 10, got 7")
    ):
        LSTM(10, 4, backend=backend)(torch.randn(5, 3, 7))


def test_wrong_input_dimensionality():
    with pytest.raises(
        ValueError,
        match=re.escape("LSTM: Expected input to be 2D or 3D, got 4D instead (shape (1, 5, 3, 10))"),
    ):
        LSTM(10, 4)(torch.randn(1, 5, 3, 10))


@pytest.mark.parametrize("backend", ["fused", "explicit"])
def test_wrong_state_shapes(backend):
    m = LSTM(10, 4, num_layers=2, proj_size=2, backend=backend)
    x = torch.randn(5, 3, 10)
    h0, c0 = torch.zeros(2, 3, 2), torch.zeros(2, 3, 4)
    msg = "Expected hidden[0] size (2, 3, 2), got [2, 4, 2]: h_0 is (num_layers * num_directions, batch, proj_size)"
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        m(x, (torch.zeros(2, 4, 2), c0))
    msg = "Expected hidden[1] size (2, 3, 4), got [1, 3, 4]: c_0 is (num_layers * num_directions, batch, hidden_size)"
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        m(x, (h0, torch.zeros(1, 3, 4)))
    msg = "For batched 3-D input, hx and cx should also be 3-D but got (2-D, 3-D) tensors"
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        m(x, (h0[0], c0))
    with pytest.raises(
        TypeError, match=re.escape("hx must be a tuple (h_0, c_0) of two tensors, got Tensor")
    ):
        m(x, h0)


def test_mismatched_dtypes():
    m = LSTM(10, 4)
    msg = (
        "RNN input dtype (torch.float64) does not match weight dtype (torch.float32). "
        "Convert input: input.to(torch.float32), or convert model: model.to(torch.float64)"
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        m(torch.randn(5, 3, 10, dtype=torch.float64))
    x, c0 = torch.randn(5, 3, 10), torch.zeros(1, 3, 4)
    msg = "h_0 dtype (torch.float64) does not match input dtype (torch.float32); convert the state: h_0.to(torch.float32)"
    with pytest.raises(ValueError, match=re.escape(msg)):
        m(x, (torch.zeros(1, 3, 4, dtype=torch.float64), c0))


def test_unknown_variant_keyword():
    msg = (
        "LSTM got an unknown keyword argument 'peepholes'; did you mean 'peephole'? Valid variant keywords are: "
        "forget_bias, layer_norm, peephole, coupled_gates, recurrent_dropout, weight_drop, zoneout, activation, "
        "recurrent_activation"
    )
    with pytest.raises(ConfigError, match=re.escape(msg)):
        LSTM(10, 4, peepholes=True)
    with pytest.raises(ConfigError, match=re.escape("LSTMCell got an unknown keyword argument 'foo' Valid")):
        LSTMCell(10, 4, foo=1)


def test_variant_keywords_off_values_give_the_standard_layer():
    m = LSTM(10, 4, peephole=False, forget_bias=0.0, activation="tanh", zoneout=None)
    assert m.resolved_backend() == "fused" and repr(m) == "LSTM(10, 4)"


@pytest.mark.parametrize(
    "kwargs,msg",
    [
        ({"layer_norm": 1}, "LSTM layer_norm must be True or False, got 1"),
        ({"zoneout": 1.0}, "LSTM zoneout must be a number in [0, 1), got 1.0"),
        (
            {"zoneout": (0.1, 0.2, 0.3)},
            "LSTM zoneout must be a number or a (cell, hidden) pair, got (0.1, 0.2, 0.3)",
        ),
        ({"recurrent_dropout": -0.1}, "LSTM recurrent_dropout must be a number in [0, 1), got -0.1"),
        ({"weight_drop": "0.5"}, "LSTM weight_drop must be a number in [0, 1), got '0.5'"),
        ({"forget_bias": "1"}, "LSTM forget_bias must be a finite number (e.g. 1.0), got '1'"),
        (
            {"forget_bias": 1.0, "bias": False},
            "LSTM forget_bias=1.0 needs bias=True: there is no bias to add it to",
        ),
        (
            {"activation": "tan"},
            "LSTM activation must be one of tanh, sigmoid, hard_sigmoid, hard_tanh, relu, "
            "softsign, elu, gelu, silu, identity, got 'tan'",
        ),
        (
            {"peephole": True, "backend": "fused"},
            "backend='fused' runs torch's kernel, which has no variants, but "
            "got peephole=True; use backend='explicit' or 'auto'",
        ),
    ],
)
def test_bad_variant_values(kwargs, msg):
    with pytest.raises(ConfigError, match=re.escape(msg)):
        LSTM(10, 4, **kwargs)


def test_variant_layer_cannot_become_torch_lstm():
    with pytest.raises(
        ConfigError, match=re.escape("to_torch() needs a standard LSTM, but this one has layer_norm")
    ):
        LSTM(3, 4, layer_norm=True).to_torch()


@pytest.mark.parametrize(
    "kwargs,msg",
    [
        ({"hidden_size": 0}, "hidden_size must be greater than zero, got 0"),
        ({"num_layers": 0}, "num_layers must be greater than zero, got 0"),
        ({"proj_size": -1}, "proj_size should be a positive integer or zero to disable projections, got -1"),
        (
            {"dropout": 1.5},
            "dropout should be a number in range [0, 1] representing the probability of an element "
            "being zeroed, got 1.5",
        ),
        ({"proj_size": 8}, "proj_size has to be smaller than hidden_size, got proj_size=8 and hidden_size=8"),
        ({"backend": "fast"}, "backend must be one of auto, fused, explicit, got 'fast'"),
        (
            {"backend": "fusd"},
            "backend must be one of auto, fused, explicit, got 'fusd'; did you mean 'fused'?",
        ),
    ],
)
def test_bad_constructor_arguments(kwargs, msg):
    args = {"input_size": 3, "hidden_size": 8} | kwargs
    with pytest.raises(ConfigError, match=re.escape(msg)):
        LSTM(**args)


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="dropout=0.5 has no effect with num_layers=1"):
        LSTM(3, 4, dropout=0.5)


def test_cell_errors():
    cell = LSTMCell(10, 4)
    with pytest.raises(RuntimeError, match=re.escape("input has inconsistent input_size: got 7 expected 10")):
        cell(torch.randn(3, 7))
    with pytest.raises(
        RuntimeError, match=re.escape("hidden1 has inconsistent hidden_size: got 5, expected 4")
    ):
        cell(torch.randn(3, 10), (torch.zeros(3, 4), torch.zeros(3, 5)))
    with pytest.raises(
        ValueError, match=re.escape("LSTMCell: Expected input to be 1D or 2D, got 3D instead")
    ):
        cell(torch.randn(1, 3, 10))
