"""The character language model: TBPTT layout and state carry, scoring, sampling, save/load."""

import json
import math

import pytest
import torch
import torch.nn.functional as F

from lstmkit.config import resolve_config
from lstmkit.errors import CheckpointError, ConfigError, DataError
from lstmkit.models.language_model import LanguageModel, TextConfig
from lstmkit.models.text_scoring import score_text
from lstmkit.networks.char_lstm import IGNORE, CharLanguageModel, TBPTTLoss, tbptt_layout

TINY = [
    "model.hidden_size=16",
    "model.embedding_dim=8",
    "model.num_layers=1",
    "model.dropout=0",
    "trainer.epochs=2",
    "data.chunk_len=8",
]


def tiny_config(*extra: str) -> TextConfig:
    return resolve_config(TextConfig(), overrides=[*TINY, *extra])


@pytest.fixture(scope="module")
def fitted() -> LanguageModel:
    text = "the quick brown fox jumps over the lazy dog.\n" * 20
    return LanguageModel(tiny_config()).fit(text)


# ----------------------------------------------------------------------------- layout


def test_tbptt_layout_streams_continue_across_chunks():
    ids = torch.arange(1, 42)  # 41 ids: 40 (input, target) pairs
    x, y = tbptt_layout(ids, streams=3, chunk_len=4)  # 13 pairs per stream (1 dropped) -> 4 chunks
    assert x.shape == y.shape == (4, 3, 4)
    for s in range(3):
        stream_x = x[:, s].flatten()
        stream_y = y[:, s].flatten()
        valid = stream_y != IGNORE
        assert valid.sum() == 13
        expected = torch.arange(1 + 13 * s, 1 + 13 * (s + 1))
        assert torch.equal(stream_x[valid], expected)  # consecutive chunks continue the stream
        assert torch.equal(stream_y[valid], expected + 1)  # the target is the next character
        assert not valid[13:].any()  # padding only at the end


def test_tbptt_layout_short_text_uses_fewer_streams():
    x, y = tbptt_layout(torch.tensor([1, 2, 3]), streams=16, chunk_len=8)
    assert x.shape == (1, 2, 8)


def test_tbptt_loss_carries_state_across_chunks(seed):
    """Chunk by chunk with the loss object gives the same loss as the whole stream at once."""
    model = CharLanguageModel(10, embedding_dim=4, hidden_size=8, num_layers=2, dropout=0.0).eval()
    ids = torch.randint(1, 10, (97,))
    x, y = tbptt_layout(ids, streams=2, chunk_len=5)
    loss_fn = TBPTTLoss()
    total = sum(
        loss_fn(model, (xk[None], yk[None])).item() * (yk != IGNORE).sum().item() for xk, yk in zip(x, y)
    )
    whole_x, whole_y = x.transpose(0, 1).flatten(1), y.transpose(0, 1).flatten(1)  # (S, n_chunks*T)
    logits, _ = model(whole_x)
    expected = F.cross_entropy(logits.flatten(0, 1), whole_y.flatten(), ignore_index=IGNORE, reduction="sum")
    assert total == pytest.approx(expected.item(), rel=1e-5)
    # several chunks in one call (the trainer's validation batches) give the same mean
    loss_fn.reset()
    assert loss_fn(model, (x, y)).item() == pytest.approx(
        expected.item() / (y != IGNORE).sum().item(), rel=1e-5
    )


def test_learns_a_pattern_longer_than_a_chunk():
    """After a run of 7 x's comes the letter that did not come 8 steps before: 'a' and 'b'
    alternate every 8 characters. Chunks are 4 long, so only the carried (h, c) tells them apart."""
    text = ("a" + "x" * 7 + "b" + "x" * 7) * 150
    overrides = [
        "model.hidden_size=32",
        "model.num_layers=1",
        "model.embedding_dim=8",
        "model.dropout=0",
        "data.chunk_len=4",
        "trainer.batch_size=8",
        "trainer.epochs=40",
        "trainer.lr=0.01",
    ]
    lm = LanguageModel(resolve_config(TextConfig(), overrides=overrides)).fit(text)
    probe = ("a" + "x" * 7 + "b" + "x" * 7) * 30
    carried = lm.score(probe).bits_per_char
    # the same weights with the state reset every chunk cannot know which letter is due
    vocab, net = lm.vocab_, lm.network_
    ids = torch.tensor(vocab.encode(probe))
    x, y = tbptt_layout(ids, streams=1, chunk_len=4)
    with torch.no_grad():
        nll = sum(
            F.cross_entropy(net(xk)[0].flatten(0, 1), yk.flatten(), ignore_index=IGNORE, reduction="sum")
            for xk, yk in zip(x, y)
        )
    reset = nll.item() / (len(probe) - 1) / math.log(2)
    assert carried < 0.3
    assert reset > carried + 0.3


# ----------------------------------------------------------------------------- scoring


def test_score_matches_a_hand_computation(fitted):
    text = "the lazy fox."
    score = fitted.score(text)
    ids = torch.tensor([fitted.vocab_.encode(text)])
    with torch.no_grad():
        logp = torch.log_softmax(fitted.network_(ids[:, :-1])[0], dim=-1)[0]  # (T-1, V)
    expected = -logp.gather(1, ids[0, 1:, None]).sum().item() / (len(text) - 1) / math.log(2)
    assert score.chars == len(text) - 1 and score.unknown_chars == 0
    assert score.bits_per_char == pytest.approx(expected, rel=1e-5)


def test_score_does_not_depend_on_chunk_length(fitted):
    text = "over the quick dog, the brown fox jumps.\n" * 3
    a = score_text(fitted.network_, fitted.vocab_, text, chunk_len=7)
    b = score_text(fitted.network_, fitted.vocab_, text, chunk_len=500)
    assert a.bits_per_char == pytest.approx(b.bits_per_char, rel=1e-5)


def test_unknown_characters_are_charged_and_counted(fitted):
    plain, odd = fitted.score("the dog"), fitted.score("the d\u00f6g")
    assert odd.unknown_chars == 1 and plain.unknown_chars == 0
    assert odd.bits_per_char > plain.bits_per_char


# ----------------------------------------------------------------------------- sampling


def test_sampling_is_reproducible_with_a_seed(fitted):
    a = fitted.sample("the ", length=60, seed=3)
    assert a == fitted.sample("the ", length=60, seed=3)
    assert len(a) == 60 and "\ufffd" not in a  # <unk> is never generated
    others = {fitted.sample("the ", length=60, seed=s) for s in range(4, 8)}
    assert len(others | {a}) > 1


def test_top_k_one_is_greedy(fitted):
    assert fitted.sample("the ", length=30, top_k=1, seed=1) == fitted.sample(
        "the ", length=30, top_k=1, seed=2
    )


def test_sampling_arguments_are_checked(fitted):
    with pytest.raises(ConfigError, match="temperature must be > 0, got 0"):
        fitted.sample("a", temperature=0)
    with pytest.raises(ConfigError, match="top_k must be >= 1, got 0"):
        fitted.sample("a", top_k=0)


def test_prompt_with_unknown_characters_still_samples(fitted, caplog):
    assert len(fitted.sample("\u00fcber ", length=5, seed=0)) == 5
    assert "never saw" in caplog.text


# ----------------------------------------------------------------------------- fit, save, load


def test_too_short_corpus():
    with pytest.raises(DataError, match="the corpus has 5 characters; a language model needs at least 100"):
        LanguageModel(tiny_config()).fit("hello")


def test_bad_setting():
    with pytest.raises(ConfigError, match=r"data.val_fraction must be in \[0, 1\), got 1.5"):
        LanguageModel(tiny_config("data.val_fraction=1.5")).fit("x" * 200)


@pytest.mark.parametrize("cap", [50, -1])
def test_a_character_cap_below_the_minimum_is_named(cap):
    """'text train --set data.max_chars=50' said the corpus file itself 'has 50 characters'."""
    with pytest.raises(
        ConfigError, match=rf"^data.max_chars must be 0 \(read everything\) or at least 100, got {cap}$"
    ):
        LanguageModel(tiny_config(f"data.max_chars={cap}")).fit("x" * 200)


def test_history_and_validation(fitted):
    assert len(fitted.history_.rows) == 2
    assert fitted.validation_.chars > 0 and math.isfinite(fitted.validation_.bits_per_char)


def test_save_load_gives_the_same_model(fitted, tmp_path):
    fitted.save(tmp_path / "lm")
    config = json.loads((tmp_path / "lm" / "config.json").read_text())
    assert config["task"] == "text" and config["vocabulary"] == fitted.vocab_.chars
    loaded = LanguageModel.load(tmp_path / "lm")
    for name, tensor in fitted.network_.state_dict().items():
        assert torch.equal(tensor, loaded.network_.state_dict()[name])
    assert loaded.score("the dog").bits_per_char == fitted.score("the dog").bits_per_char
    assert loaded.sample("th", length=40, seed=5) == fitted.sample("th", length=40, seed=5)
    assert loaded.validation_ == fitted.validation_


def test_load_errors(tmp_path, fitted):
    with pytest.raises(
        CheckpointError, match="model folder .* not found; pass the folder written by 'lstmkit text train'"
    ):
        LanguageModel.load(tmp_path / "missing")
    fitted.save(tmp_path / "lm")
    config = json.loads((tmp_path / "lm" / "config.json").read_text())
    config["vocabulary"] = config["vocabulary"][:-1]
    (tmp_path / "lm" / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="the weights do not match config.json"):
        LanguageModel.load(tmp_path / "lm")


def test_vocabulary_comes_from_the_training_part():
    text = "ab" * 100 + "z" * 30  # the held-out tail (last 10% = 23 chars) is all 'z'
    lm = LanguageModel(tiny_config("trainer.epochs=1")).fit(text)
    assert "z" in lm.vocab_.chars  # 7 z's fall in the training part
    lm = LanguageModel(tiny_config("trainer.epochs=1")).fit("ab" * 100 + "z" * 22)
    assert "z" not in lm.vocab_.chars and lm.validation_.unknown_chars == 21


def test_dynamic_evaluation_adapts_without_changing_the_model(fitted):
    before = {k: v.clone() for k, v in fitted.network_.state_dict().items()}
    text = "zebra quartz " * 40  # mostly characters the corpus uses rarely: room to adapt
    static = fitted.score(text)
    adapted = fitted.score(text, adapt_lr=0.3)
    assert adapted.chars == static.chars
    assert adapted.bits_per_char < static.bits_per_char - 0.2
    for name, tensor in fitted.network_.state_dict().items():
        assert torch.equal(tensor, before[name])
    with pytest.raises(ConfigError, match="adapt_lr must be >= 0, got -1"):
        fitted.score(text, adapt_lr=-1)


def test_big_corpus_gets_more_streams(monkeypatch, caplog):
    import logging

    import lstmkit.models.language_model as module

    monkeypatch.setattr(module, "MAX_CHUNKS_PER_EPOCH", 5)
    with caplog.at_level(logging.INFO, logger=module.__name__):
        LanguageModel(tiny_config("trainer.epochs=1", "trainer.batch_size=2", "data.val_fraction=0")).fit(
            "abcd" * 200
        )
    # 800 characters in chunks of 8, at most 5 chunks an epoch: 20 streams instead of 2
    assert "using 20 parallel streams (not 2) so an epoch has at most 5 chunks" in caplog.text


# ----------------------------------------------------------------------------- the training budget


def test_the_default_budget_is_steps_not_seconds():
    trainer = TextConfig().trainer
    assert trainer.max_seconds == 0 and trainer.max_steps > 0


def test_the_same_seed_gives_the_same_model_however_slow_the_machine(monkeypatch):
    import lstmkit.train.trainer as trainer_module

    text = "the quick brown fox jumps over the lazy dog.\n" * 20
    config = tiny_config("trainer.epochs=1000", "trainer.max_steps=30", "trainer.patience=1000")
    quiet = LanguageModel(config).fit(text)
    clock = iter(range(0, 10**9, 1000))  # every clock reading 1000 s after the last: a very busy machine
    monkeypatch.setattr(trainer_module.time, "perf_counter", lambda: float(next(clock)))
    busy = LanguageModel(config).fit(text)
    for key, value in quiet.network_.state_dict().items():
        assert torch.equal(value, busy.network_.state_dict()[key]), key


def test_the_step_budget_counts_characters_when_a_big_corpus_gets_more_streams(tmp_path, monkeypatch):
    import lstmkit.models.language_model as lm_module
    from lstmkit.io.checkpoint import load_checkpoint

    monkeypatch.setattr(lm_module, "MAX_CHUNKS_PER_EPOCH", 5)
    text = "the quick brown fox jumps over the lazy dog.\n" * 20  # 900 chars: 810 to train on
    config = tiny_config(
        "trainer.epochs=1000", "trainer.max_steps=12", "trainer.batch_size=4", "trainer.patience=1000"
    )
    LanguageModel(config).fit(text, checkpoint_path=tmp_path / "c.json")
    streams = math.ceil(810 / (8 * 5))  # 21 streams instead of 4
    assert load_checkpoint(tmp_path / "c.json")["steps"] == math.ceil(
        12 * 4 / streams
    )  # 3 steps of 21 streams
