"""lstmkit's Adam is torch's, bit for bit, with torch's state dict, and never imports TorchDynamo."""

import subprocess
import sys

import pytest
import torch

from lstmkit.train.adam import adam


def train(make, schedule, steps=40):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    inputs = [torch.randn(5, 3) for _ in range(steps)]
    optimizer = make(model.parameters(), lr=1e-2, weight_decay=1e-3)
    scheduler = schedule(optimizer)
    for x in inputs:
        optimizer.zero_grad(set_to_none=True)
        model(x).square().mean().backward()
        optimizer.step()
        scheduler.step(1.0) if isinstance(
            scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau
        ) else scheduler.step()
    return model, optimizer


@pytest.mark.parametrize(
    "schedule",
    [
        lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=3),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=40),
    ],
)
def test_the_same_steps_as_torch_adam_to_the_bit(schedule):
    mine, my_optimizer = train(adam, schedule)
    theirs, their_optimizer = train(torch.optim.Adam, schedule)
    for a, b in zip(mine.parameters(), theirs.parameters()):
        assert torch.equal(a, b)
    assert isinstance(my_optimizer, torch.optim.Adam)
    assert my_optimizer.defaults["foreach"]  # one call per step for all parameters, to the bit the for-loop's
    assert my_optimizer.param_groups[0]["lr"] == their_optimizer.param_groups[0]["lr"] < 1e-2


def test_state_dicts_load_into_either():
    _, mine = train(adam, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=40))
    _, theirs = train(torch.optim.Adam, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=40))
    for source, make in ((mine, torch.optim.Adam), (theirs, adam)):
        params = [torch.zeros_like(p) for group in source.param_groups for p in group["params"]]
        target = make(params, lr=1.0)
        target.load_state_dict(source.state_dict())
        for key, value in source.state_dict()["state"].items():
            for name in ("step", "exp_avg", "exp_avg_sq"):
                assert torch.equal(target.state_dict()["state"][key][name], value[name])


def test_training_never_imports_the_compiler():
    script = (
        "import sys, torch\n"
        "from lstmkit.train import TrainerConfig, fit\n"
        "x = torch.randn(32, 2); y = x.sum(1, keepdim=True)\n"
        "net = torch.nn.Linear(2, 1)\n"
        "fit(net, lambda m, b: (m(b[0]) - b[1]).square().mean(), (x, y), config=TrainerConfig(epochs=2))\n"
        "assert 'torch._dynamo' not in sys.modules, 'torch._dynamo was imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
