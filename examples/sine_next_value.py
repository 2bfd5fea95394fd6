"""LSTMModel learning a real pattern: the next value of a noisy sine wave.

A window of the last 30 values predicts the next one. After training, the model's error on
held-out windows is compared with the "repeat the last value" forecast.

Run: python examples/sine_next_value.py
"""

import math

import torch
from torch import nn, optim

from lstmkit import LSTMModel

torch.manual_seed(0)
steps, window = 2000, 30
t = torch.arange(steps, dtype=torch.float32)
series = torch.sin(2 * math.pi * t / 50) + 0.1 * torch.randn(steps)  # period 50, noise 0.1

windows = series.unfold(0, window + 1, 1)  # (N, window + 1), a view
x, y = windows[:, :window].unsqueeze(-1), windows[:, window:]  # (N, window, 1), (N, 1)
split = int(0.8 * len(x))
x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]

model = LSTMModel(input_size=1, hidden_size=32, output_size=1, num_layers=1)
optimizer = optim.Adam(model.parameters(), lr=1e-2)
criterion = nn.MSELoss()
for epoch in range(30):
    order = torch.randperm(split)
    for batch in order.split(64):
        loss = criterion(model(x_train[batch]), y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if (epoch + 1) % 10 == 0:
        print(f"Epoch [{epoch + 1}/30], Loss: {loss.item():.4f}")

with torch.no_grad():
    lstm_mse = criterion(model(x_test), y_test).item()
naive_mse = criterion(x_test[:, -1], y_test).item()
print(f"held-out MSE: LSTM {lstm_mse:.4f}, repeat-last-value {naive_mse:.4f} (noise floor 0.0100)")
