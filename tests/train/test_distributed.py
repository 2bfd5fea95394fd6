"""Two gloo ranks under torchrun end with the weights one process gets with the same global batch."""

import subprocess
import sys
import textwrap

import torch
from safetensors import safe_open
from safetensors.torch import load_file

from lstmkit.train.distributed import local_rows

SCRIPT = textwrap.dedent(
    """
    import sys
    import torch
    from torch import nn
    from safetensors.torch import save_file
    from lstmkit.train import TrainerConfig, fit, set_seed
    from lstmkit.train.distributed import init_from_env, is_main_process, shutdown, world

    torch.set_num_threads(1)
    distributed = init_from_env()
    set_seed(0)
    x = torch.linspace(-1, 1, 50).unsqueeze(1)
    y = torch.sin(3 * x)
    model = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1))

    def mse(net, batch):
        return nn.functional.mse_loss(net(batch[0]), batch[1])

    # 50 rows in global batches of 15: the last batch (5 rows) splits unevenly over 2 ranks
    fit(model, mse, (x, y), (x[::5], y[::5]), config=TrainerConfig(epochs=6, batch_size=15, lr=1e-2))
    if is_main_process():
        save_file(dict(model.state_dict()), sys.argv[1], metadata={"world_size": str(world()[1])})
    shutdown()
    """
)


def test_local_rows_outside_a_group_is_the_whole_batch():
    index = torch.arange(7)
    rows, weight = local_rows(index)
    assert torch.equal(rows, index) and weight == 1.0


def test_two_ranks_match_one_process(tmp_path, torchrun):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    subprocess.run(
        [sys.executable, str(script), str(tmp_path / "single.safetensors")], check=True, timeout=240
    )
    torchrun([str(script), str(tmp_path / "ddp.safetensors")], timeout=240)
    with safe_open(tmp_path / "ddp.safetensors", "pt") as handle:
        assert handle.metadata()["world_size"] == "2"
    single, ddp = load_file(tmp_path / "single.safetensors"), load_file(tmp_path / "ddp.safetensors")
    for key in single:
        torch.testing.assert_close(ddp[key], single[key], rtol=1e-5, atol=1e-6)
    assert not torch.equal(single["0.weight"], torch.zeros_like(single["0.weight"]))


LEAVE = textwrap.dedent(
    """
    import gc, sys, weakref
    import torch
    from lstmkit.train.distributed import init_from_env, shutdown
    import torch.distributed as dist

    assert init_from_env()
    gc.disable()  # only shutdown() may collect
    net = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 1))
    net.cycle = net  # as DDP wrappers end up in reference cycles
    alive = weakref.ref(net)
    del net
    assert alive() is not None
    shutdown()
    assert alive() is None, "the wrapper outlived its process group"
    assert not dist.is_initialized()
    """
)


def test_leaving_the_group_first_frees_what_uses_it(tmp_path, torchrun):
    # gloo's threads abort a rank ("terminate called without an active exception") when a
    # DistributedDataParallel wrapper is only destroyed at interpreter exit, after its group
    script = tmp_path / "leave.py"
    script.write_text(LEAVE)
    torchrun([str(script)], timeout=240)
