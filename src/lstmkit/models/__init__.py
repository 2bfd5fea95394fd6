"""The jobs: what a user fits, predicts with, evaluates, explains, saves and loads.

Each job is a :class:`~lstmkit.models.base.Job` (config, fitted network, history, the model
folder) around a network of :mod:`lstmkit.networks`: :mod:`~lstmkit.models.forecaster`
(``LSTMForecaster``), :mod:`~lstmkit.models.classifier` (``LSTMClassifier``),
:mod:`~lstmkit.models.language_model` (``LanguageModel``) and
:mod:`~lstmkit.models.text_classifier` (``TextClassifier``). :mod:`~lstmkit.models.registry`
maps a model folder's task to its job. The other modules are parts of one job's fitting.
"""
