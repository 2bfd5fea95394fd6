"""The networks: ``nn.Module``s built on the layer (:mod:`lstmkit.nn`) and torch alone.

Each takes tensors and returns tensors; none reads files, trains itself or knows a job. The jobs
(:mod:`lstmkit.models`) fit them, save them and wrap them for users:

- :mod:`~lstmkit.networks.classic`: ``LSTMModel``, the classic many-to-one model;
- :mod:`~lstmkit.networks.forecast_net`: the forecaster's ensemble of LSTM members;
- :mod:`~lstmkit.networks.lstm_fcn`, :mod:`~lstmkit.networks.minirocket`,
  :mod:`~lstmkit.networks.hybrid_net`: the sequence classifier's networks;
- :mod:`~lstmkit.networks.char_lstm`: the character-level language model;
- :mod:`~lstmkit.networks.text_net`: the text classifier's bidirectional LSTM.
"""
