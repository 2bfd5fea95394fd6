"""Explaining the text models: a character language model's gates over a text snippet, with each
character's surprisal (bits); a text classifier's gates over the tokens of one text, with the
probability of its predicted class on the text up to each token."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from lstmkit.errors import DataError
from lstmkit.explain.explanation import Explanation, chosen_case, gates_from_trace


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


def explain_text_classifier(
    clf: Any, texts: Sequence[str], *, case: int | None = None, source: str = "the texts"
) -> Explanation:
    """Gates of the text classifier's LSTM over the tokens of text ``case`` (default 0) of ``texts``
    (``source`` names them in the title and messages).

    What the model read is drawn as the probability of the class predicted for the whole text,
    scored on the text cut after each token: where the evidence for it arrives.

    Raises:
        DataError: ``case`` out of range.
    """
    from lstmkit.models.text_classifier import pad_ids

    case = chosen_case(case, len(texts), source=source, noun="text")
    net, tokenizer = clf.network.eval(), clf.tokenizer_
    ids = tokenizer.encode(texts[case])[: clf.config.data.max_len]  # [1] (<unk>) for a text without tokens
    tokens = tokenizer.split(texts[case])[: len(ids)] or ["<unk>"]
    with torch.no_grad():
        tr = net.lstm.trace(net.embedding(torch.tensor(ids)[None]))  # (L*D, 1, T, H) gates
        prefixes, lengths = pad_ids(
            [ids[: t + 1] for t in range(len(ids))]
        )  # (T, T): the text up to each token
        proba = torch.softmax(net(prefixes, lengths), dim=-1).double().numpy()  # (T, K)
    top = int(proba[-1].argmax())
    label = clf.classes_[top]
    return Explanation(
        kind="text-classify",
        title=f"text classifier: text {case} of {source}, {len(ids)} {tokenizer.mode} tokens",
        gates=gates_from_trace(tr),
        num_directions=net.lstm.num_directions,
        inputs=proba[:, top : top + 1],
        input_names=[f"p({label!r}) on the text up to each token"],
        step_labels=list(tokens),
        notes=[f"predicted: {label!r} (probability {proba[-1, top]:.3f})"],
    )
