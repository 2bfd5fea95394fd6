"""What the gates did: :class:`Explanation` and the per-job functions that build one.

Each job's network holds an :class:`lstmkit.nn.LSTM`; its ``trace()`` (every backend, every
variant) gives the per-step input, forget and output gates and the cell state of every layer
and direction. This package runs that trace on the sequence the user asks about:

* a forecaster (:mod:`~lstmkit.explain.forecast`): the last input window of one series, through
  the ensemble member whose lookback covers the whole window, plus integrated-gradient
  attributions (:mod:`~lstmkit.explain.attributions`) of the *network's* mean point forecast
  (all members, in data units) to each window step;
* a sequence classifier (:mod:`~lstmkit.explain.classify`): one case, or the mean over the cases
  of a class (steps averaged over the cases that reach them);
* a character language model (:mod:`~lstmkit.explain.text`): a text snippet, with each
  character's surprisal (bits);
* a text classifier (:mod:`~lstmkit.explain.text`): the tokens of one text, with the probability of
  its predicted class on the text up to each token.

:class:`Explanation` (:mod:`~lstmkit.explain.explanation`) holds the result, its long table and
text summary; the figure lives in :mod:`lstmkit.plots.gates`.
"""

from lstmkit.explain.attributions import COMPLETENESS_TOLERANCE, integrated_gradients
from lstmkit.explain.classify import explain_classifier
from lstmkit.explain.explanation import GATES, Explanation, gates_from_trace, write_explanation
from lstmkit.explain.forecast import (
    ForecastWindow,
    explain_forecaster,
    forecast_window,
    member_gates,
    window_attributions,
)
from lstmkit.explain.text import explain_language_model, explain_text_classifier

__all__ = [
    "COMPLETENESS_TOLERANCE",
    "GATES",
    "Explanation",
    "ForecastWindow",
    "explain_classifier",
    "explain_forecaster",
    "explain_language_model",
    "explain_text_classifier",
    "forecast_window",
    "gates_from_trace",
    "integrated_gradients",
    "member_gates",
    "window_attributions",
    "write_explanation",
]
