"""Explaining a character language model: the gates over a text snippet, with each character's
surprisal (bits)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lstmkit.errors import DataError
from lstmkit.explain.explanation import Explanation, gates_from_trace


def explain_language_model(lm: Any, text: str, *, max_chars: int = 100) -> Explanation:
    """Gates of the language model's LSTM over the first ``max_chars`` characters of ``text``.

    Raises:
        DataError: fewer than two characters.
    """
    net = lm.network
    snippet = text[:max_chars]
    if len(snippet) < 2:
        raise DataError(
            f"the text has {len(snippet)} character(s); explaining a language model needs at least two"
        )
    ids = torch.tensor(lm.vocab_.encode(snippet))[None]  # (1, T)
    net.eval()
    with torch.no_grad():
        tr = net.lstm.trace(net.embedding(ids))
        logp = torch.log_softmax(net(ids)[0][0], dim=-1)  # (T, V)
        bits = -logp[:-1].gather(1, ids[0, 1:, None])[:, 0] / np.log(2.0)  # (T - 1,)
    surprisal = np.append(bits.double().numpy(), np.nan)
    return Explanation(
        kind="text",
        title=f"language model: {len(snippet)} characters",
        gates=gates_from_trace(tr),
        num_directions=1,
        inputs=surprisal[:, None],
        input_names=["bits of the next character"],
        step_labels=list(snippet),
        surprisal=surprisal,
        notes=[f"mean bits per character on the snippet: {np.nanmean(surprisal):.3f}"],
    )
