"""Explaining a sequence classifier: the gates on one case, or averaged over the cases of a class
(each step averaged over the cases that reach it)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lstmkit.data.labels import class_label
from lstmkit.errors import DataError
from lstmkit.explain.explanation import Explanation, chosen_case, gates_from_trace


def explain_classifier(
    clf: Any, data: Any, *, case: int | None = None, label: str | None = None
) -> Explanation:
    """Gates of the classifier's LSTM on one case (default 0) or averaged over the cases of class ``label``.

    Raises:
        DataError: a case index out of range, an unknown class, or data of the wrong shape.
    """
    from torch.nn.utils.rnn import pack_padded_sequence

    from lstmkit.data.sequences import pad_sequences
    from lstmkit.networks.hybrid_net import HybridNet, scale_series

    net = clf.network
    data = clf.readable(data)
    if label is not None:
        if data.labels is None:
            raise DataError(
                f"{data.name} has no class labels; --class needs labelled data, or pick a case with --case"
            )
        index = np.flatnonzero(data.labels == class_label(label))
        if not len(index):
            present = sorted(set(map(str, data.labels)))
            raise DataError(
                f"class {label!r} has no case in {data.name}; its classes are: {', '.join(present)}"
            )
        title = f"classifier: mean over the {len(index)} cases of class {label!r} in {data.name}"
    else:
        case = chosen_case(case, len(data), source=data.name)
        index = np.asarray([case])
        truth = f", true class {data.labels[case]!r}" if data.labels is not None else ""
        title = f"classifier: case {case} of {data.name}{truth}"
    x, lengths = pad_sequences([data.series[i] for i in index])  # (n, T, F)
    xt = torch.from_numpy(x)
    names = data.features or [f"channel {j}" for j in range(x.shape[2])]
    net.eval()
    with torch.no_grad():
        proba = torch.softmax(net(xt, torch.from_numpy(lengths)), dim=-1).mean(0).numpy()
        if isinstance(net, HybridNet):  # its LSTM reads the scaled series, averaged over `pool` steps
            if net.lstm is None:
                raise DataError(
                    "this classifier has no LSTM (hybrid.lstm=false): there are no gates to explain"
                )
            z, steps = net.pooled(
                scale_series(xt, torch.from_numpy(lengths), net.mean, net.std), torch.from_numpy(lengths)
            )
            lstm, x, lengths = net.lstm.lstm, z.double().numpy(), steps.numpy()
            names = [f"{n} (scaled, mean of {net.pool} steps)" for n in names]
        else:
            z = (xt - net.mean) / net.std
            z, lstm = torch.where(torch.isnan(z), torch.zeros_like(z), z), net.lstm
        packed = pack_padded_sequence(
            z, torch.from_numpy(np.asarray(lengths)), batch_first=True, enforce_sorted=False
        )
        tr = lstm.trace(packed)
    gates = gates_from_trace(tr, batch=slice(None), lengths=lengths)
    reach = (np.arange(x.shape[1])[None, :] < lengths[:, None])[..., None]  # (n, T, 1)
    inputs = np.nansum(np.where(reach, x, 0.0), axis=0) / np.maximum(reach.sum(0), 1)  # (T, F)
    top = int(proba.argmax())
    note = f"predicted: {clf.classes_[top]!r} (mean probability {proba[top]:.3f})"
    return Explanation(
        kind="classify",
        title=title,
        gates=gates,
        num_directions=lstm.num_directions,
        inputs=inputs,
        input_names=list(names),
        notes=[note],
    )
