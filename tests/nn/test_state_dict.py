"""Weight compatibility with torch.nn.LSTM: names, order, shapes, initialisation, round trips."""

import pytest
import torch

from lstmkit.nn import LSTM

CONFIGS = [
    {},
    {"num_layers": 2, "bias": False},
    {"num_layers": 3, "bidirectional": True, "proj_size": 2, "batch_first": True, "dropout": 0.2},
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=["base", "2layer-nobias", "3layer-bidir-proj"])
def test_same_seed_same_parameters_names_and_order(kwargs):
    torch.manual_seed(11)
    ours = LSTM(4, 6, **kwargs)
    torch.manual_seed(11)
    ref = torch.nn.LSTM(4, 6, **kwargs)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for (name, a), b in zip(ours.state_dict().items(), ref.state_dict().values()):
        assert a.shape == b.shape and torch.equal(a, b), name
        assert a.abs().max() <= 1 / 6**0.5


@pytest.mark.parametrize("kwargs", CONFIGS, ids=["base", "2layer-nobias", "3layer-bidir-proj"])
def test_state_dict_loads_both_ways(kwargs):
    ref, ours = torch.nn.LSTM(4, 6, **kwargs).eval(), LSTM(4, 6, **kwargs).eval()
    ours.load_state_dict(ref.state_dict())  # strict
    x = torch.randn(3, 5, 4)
    torch.testing.assert_close(ours(x)[0], ref(x)[0])
    ours.reset_parameters()
    ref.load_state_dict(ours.state_dict())  # strict
    torch.testing.assert_close(ref(x)[0], ours(x)[0])


@pytest.mark.parametrize("kwargs", CONFIGS, ids=["base", "2layer-nobias", "3layer-bidir-proj"])
def test_from_torch_and_to_torch(kwargs):
    ref = torch.nn.LSTM(4, 6, **kwargs, dtype=torch.float64)
    ours = LSTM.from_torch(ref, backend="explicit")
    assert ours.backend == "explicit" and ours.weight_ih_l0.dtype == torch.float64
    for attr in (
        "input_size",
        "hidden_size",
        "num_layers",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
        "proj_size",
    ):
        assert getattr(ours, attr) == getattr(ref, attr), attr
    ours.weight_hh_l0.data.add_(1.0)  # a copy, not shared
    assert not torch.equal(ours.weight_hh_l0, ref.weight_hh_l0)
    back = ours.to_torch()
    assert isinstance(back, torch.nn.LSTM)
    for a, b in zip(back.state_dict().values(), ours.state_dict().values()):
        assert torch.equal(a, b)
    x = torch.randn(2, 5, 4, dtype=torch.float64)
    back.eval(), ours.eval()
    torch.testing.assert_close(back(x)[0], ours(x)[0])


def test_attributes_and_repr():
    m = LSTM(4, 6, 2, batch_first=True, bidirectional=True, proj_size=3, backend="explicit")
    assert (
        m.input_size,
        m.hidden_size,
        m.num_layers,
        m.bias,
        m.batch_first,
        m.dropout,
        m.bidirectional,
        m.proj_size,
        m.backend,
    ) == (4, 6, 2, True, True, 0.0, True, 3, "explicit")
    assert (
        repr(m)
        == "LSTM(4, 6, num_layers=2, batch_first=True, bidirectional=True, proj_size=3, backend='explicit')"
    )
