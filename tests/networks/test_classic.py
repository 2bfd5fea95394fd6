import math
import re
import subprocess
import sys
from pathlib import Path

import torch
from torch import nn

from lstmkit import LSTMModel
from lstmkit.nn import LSTM

ROOT = Path(__file__).resolve().parents[2]


class TutorialModel(nn.Module):
    """The classic program's own class, written against torch.nn.LSTM, as the reference."""

    def __init__(self, input_size, hidden_size, output_size, num_layers=1):
        super().__init__()
        self.hidden_size, self.num_layers = hidden_size, num_layers
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(x.device)
        c0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(x.device)
        out, _ = self.lstm(x, (h0, c0))
        return self.fc(out[:, -1, :])


def test_same_parameters_outputs_and_gradients_as_the_tutorial_model(seed):
    ours, reference = LSTMModel(10, 20, 1, 2), TutorialModel(10, 20, 1, 2)
    assert isinstance(ours.lstm, LSTM)
    assert list(ours.state_dict()) == list(reference.state_dict())
    reference.load_state_dict(ours.state_dict())
    x = torch.randn(32, 5, 10)
    y = torch.randn(32, 1)
    for model in (ours, reference):
        nn.functional.mse_loss(model(x), y).backward()
    torch.testing.assert_close(ours(x), reference(x))
    for (name, p), (_, q) in zip(ours.named_parameters(), reference.named_parameters()):
        torch.testing.assert_close(p.grad, q.grad, msg=name)


def test_same_initialisation_as_the_tutorial_model():
    torch.manual_seed(3)
    ours = LSTMModel(4, 8, 2, 1)
    torch.manual_seed(3)
    reference = TutorialModel(4, 8, 2, 1)
    for (name, p), (_, q) in zip(ours.state_dict().items(), reference.state_dict().items()):
        assert torch.equal(p, q), name


def test_gates_can_be_traced(seed):
    model = LSTMModel(3, 6, 1, 2)
    x = torch.randn(2, 7, 3)
    trace = model.lstm.trace(x)
    assert trace.forget_gate.shape == (2, 2, 7, 6)
    torch.testing.assert_close(model.fc(trace.output[:, -1]), model(x))


def test_classic_example_prints_the_loss_every_10_epochs():
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "classic_lstm.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    lines = re.findall(r"^Epoch \[(\d+)/100\], Loss: (\d+\.\d{4})$", result.stdout, flags=re.M)
    assert [int(epoch) for epoch, _ in lines] == list(range(10, 101, 10))


def test_it_learns_the_next_value_of_a_sine_wave(seed):
    t = torch.arange(400, dtype=torch.float32)
    series = torch.sin(2 * math.pi * t / 25) + 0.05 * torch.randn(400)
    windows = series.unfold(0, 21, 1)
    x, y = windows[:, :20].unsqueeze(-1), windows[:, 20:]
    model = LSTMModel(1, 16, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(40):
        for batch in torch.randperm(300).split(32):
            loss = nn.functional.mse_loss(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        lstm_mse = nn.functional.mse_loss(model(x[300:]), y[300:]).item()
    naive_mse = nn.functional.mse_loss(x[300:, -1], y[300:]).item()
    assert lstm_mse < 0.25 * naive_mse
