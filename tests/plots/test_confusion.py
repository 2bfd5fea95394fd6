"""The confusion-matrix figure: class names the font cannot show draw without warnings."""

import warnings

from lstmkit.plots.confusion import plot_confusion


def test_class_names_the_font_lacks_draw_without_warnings(tmp_path):
    """'classify evaluate' on classes named in CJK printed 'Glyph ... missing from font' lines with source paths."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = plot_confusion([[3, 1], [0, 4]], ["坐", "走"], tmp_path / "confusion.png")
    assert path.stat().st_size > 0
    assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []
