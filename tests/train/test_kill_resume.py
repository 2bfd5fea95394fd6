"""A run killed with SIGKILL mid-training resumes to the weights of an uninterrupted run."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import torch
from safetensors.torch import load_file

from lstmkit.errors import CheckpointError
from lstmkit.train import load_checkpoint


def _epoch(checkpoint):
    """The epochs a live run's checkpoint holds (0 while none, or while it is being replaced)."""
    try:
        return load_checkpoint(checkpoint)["epoch"]
    except CheckpointError:
        return 0


SCRIPT = textwrap.dedent(
    """
    import sys, time
    import torch
    from torch import nn
    from safetensors.torch import save_file
    import lstmkit.train.callbacks as callbacks
    from lstmkit.train import TrainerConfig, fit, set_seed

    torch.set_num_threads(1)
    out, checkpoint, resume, slow = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4] == "1"
    callbacks.SAVE_EVERY_SECONDS = 0.5  # a checkpoint every second epoch or so of the slow run
    set_seed(0)
    x = torch.linspace(-1, 1, 64).unsqueeze(1)
    y = torch.sin(3 * x)
    model = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Dropout(0.2), nn.Linear(16, 1))

    def mse(net, batch):
        return nn.functional.mse_loss(net(batch[0]), batch[1])

    class Slow:
        def on_epoch_end(self, epoch, row):
            if slow:
                time.sleep(0.3)

    config = TrainerConfig(epochs=20, batch_size=8, lr=1e-2, patience=1000)
    fit(model, mse, (x, y), (x[::4], y[::4]), config=config, checkpoint_path=checkpoint, resume=resume,
        callbacks=[Slow()])
    save_file(dict(model.state_dict()), out)
    """
)


def test_sigkill_then_resume_gives_the_uninterrupted_weights(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    run = [sys.executable, str(script)]
    subprocess.run(
        [*run, str(tmp_path / "whole.safetensors"), str(tmp_path / "a.json"), "0", "0"],
        check=True,
        timeout=120,
    )

    checkpoint = tmp_path / "b.json"
    proc = subprocess.Popen([*run, str(tmp_path / "never.safetensors"), str(checkpoint), "0", "1"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if _epoch(checkpoint) >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = load_checkpoint(checkpoint)["epoch"]
    assert 3 <= killed_at < 20, "the run was not killed mid-training"
    assert not (tmp_path / "never.safetensors").exists()

    subprocess.run(
        [*run, str(tmp_path / "resumed.safetensors"), str(checkpoint), "1", "0"], check=True, timeout=120
    )
    whole, resumed = load_file(tmp_path / "whole.safetensors"), load_file(tmp_path / "resumed.safetensors")
    for key in whole:
        assert torch.equal(whole[key], resumed[key]), key
