"""The gate figure: drawn for text the font cannot show without warnings on the user's terminal."""

import warnings

from lstmkit.config import resolve_config
from lstmkit.models.language_model import LanguageModel, TextConfig
from lstmkit.plots.gates import plot_gates


def test_characters_the_font_lacks_draw_without_warnings(tmp_path):
    """'text train' on a corpus with CJK printed matplotlib's 'Glyph ... missing from font' lines with source paths."""
    cfg = resolve_config(
        TextConfig(),
        overrides=["model.hidden_size=4", "model.embedding_dim=3", "trainer.epochs=1", "data.chunk_len=8"],
    )
    lm = LanguageModel(cfg).fit("東京 京都 ok\n" * 30)
    expl = lm.explain("東京 京都 ok")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = plot_gates(expl, tmp_path / "gates.png")
    assert path.stat().st_size > 0
    assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []
