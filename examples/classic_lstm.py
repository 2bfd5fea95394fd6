"""The classic LSTM program, on lstmkit: LSTMModel trained with MSE and Adam on random data.

Run: python examples/classic_lstm.py
"""

import torch
from torch import nn, optim

from lstmkit import LSTMModel

torch.manual_seed(0)
input_size, hidden_size, output_size, num_layers = 10, 20, 1, 2

model = LSTMModel(input_size, hidden_size, output_size, num_layers)
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=1e-3)

num_epochs = 100
for epoch in range(num_epochs):
    x = torch.randn(32, 5, input_size)  # (B, T, F)
    y = torch.randn(32, output_size)  # (B, 1)
    loss = criterion(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if (epoch + 1) % 10 == 0:
        print(f"Epoch [{epoch + 1}/{num_epochs}], Loss: {loss.item():.4f}")

# The layer is lstmkit's: its gates can be looked at step by step.
trace = model.lstm.trace(torch.randn(1, 5, input_size))
print("forget gate of layer 2 at each step (first 4 units):")
print(trace.forget_gate[1, 0, :, :4])  # (T, 4)
