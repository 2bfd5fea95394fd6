"""The HTML run report: one self-contained page (figures as PNG data URIs, no network, no JavaScript).

:class:`Report` collects sections (headings, paragraphs, tables, figures, preformatted text) and
renders one HTML5 page that reads on a phone (fluid width, scrolling tables) and prints (no
sections split across pages where avoidable). Every piece of text is escaped here, so section
builders (:mod:`lstmkit.plots.report_jobs`) pass plain strings and numbers.
"""

from __future__ import annotations

import base64
import html
import math
import shlex
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from lstmkit.errors import LstmkitError
from lstmkit.io.atomic import atomic_write_text
from lstmkit.logs import counted

TEXT = ' class="text"'  # a cell or heading of words: read from the left

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:60rem;
padding:1rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.5rem;margin:.2rem 0 .3rem}h2{font-size:1.2rem;margin-top:1.8rem;border-bottom:1px solid #ccc}
h3{font-size:1rem;margin-top:1.2rem}
.sub{color:#555;margin-top:0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.5rem 0;font-size:.92rem}
.cap{color:#555;font-size:.85rem;margin:.6rem 0 0}
th,td{border:1px solid #ccc;padding:.25rem .55rem;text-align:right;white-space:nowrap}
th:first-child,td:first-child,th.text,td.text{text-align:left}
thead th{background:#f0f0f0}
td.best{background:#d9f2d9;font-weight:600}
figure{margin:.8rem 0}img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.85rem}
pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;font-size:.82rem;white-space:pre-wrap}
footer{margin-top:2rem;color:#666;font-size:.8rem}
@media print{body{max-width:none}section,figure,table{break-inside:avoid}a{color:inherit}}
"""


def png_data_uri(png: bytes | str | Path) -> str:
    """``data:image/png;base64,...`` of PNG bytes or a PNG file."""
    raw = png if isinstance(png, bytes) else Path(png).read_bytes()
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


def png_of(draw: Callable[..., Any], *args: Any, **kwargs: Any) -> bytes:
    """Bytes of the PNG that ``draw(*args, path, **kwargs)`` writes (the path is a temporary file)."""
    with tempfile.TemporaryDirectory(prefix="lstmkit-report-") as tmp:
        path = Path(tmp) / "figure.png"
        draw(*args, path, **kwargs)
        return path.read_bytes()


def fmt(value: Any, digits: int = 4) -> str:
    """A number to ``digits`` significant figures (integers as they are), anything else as text."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return "–" if math.isnan(value) else f"{value:.{digits}g}"
    return str(value)


class Report:
    """An HTML page built section by section.

    Example::

        rep = Report("Forecast of airpassengers", subtitle="12 steps, lstmkit 0.1.0")
        rep.heading("Hold-out")
        rep.table(["method", "MASE"], [["lstmkit", 0.61]], best={1: "min"})
        rep.write("runs/air/report.html")
    """

    def __init__(self, title: str, *, subtitle: str = ""):
        self.title, self.subtitle = title, subtitle
        self.parts: list[str] = []

    def heading(self, text: str, *, level: int = 2) -> None:
        self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str) -> None:
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def pre(self, text: str) -> None:
        self.parts.append(f"<pre>{html.escape(text)}</pre>")

    def figure(self, png: bytes | str | Path, *, alt: str, caption: str = "") -> None:
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self.parts.append(f'<figure><img src="{png_data_uri(png)}" alt="{html.escape(alt)}">{cap}</figure>')

    def table(
        self,
        header: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        caption: str = "",
        best: dict[int, str | float] | None = None,
    ) -> None:
        """A table; ``best`` maps a column index to ``"min"``, ``"max"`` or a target number (closest wins):
        that column's best cells are highlighted."""
        rows = [list(r) for r in rows]
        winners: dict[int, float] = {}
        for col, rule in (best or {}).items():
            values = [r[col] for r in rows if col < len(r) and _number(r[col])]
            if values:
                winners[col] = _best(values, rule)
        words = [  # columns of text only: their heading on the left too
            j > 0 and all(isinstance(r[j], str) for r in rows if j < len(r) and r[j] not in ("", None))
            for j in range(len(header))
        ]
        head = "".join(
            f'<th scope="col"{TEXT if w else ""}>{html.escape(str(h))}</th>' for h, w in zip(header, words)
        )
        body = []
        for r in rows:
            cells = []
            for j, v in enumerate(r):
                mark = ' class="best"' if j in winners and _number(v) and v == winners[j] else ""
                if j and isinstance(v, str) and v:  # words read from the left; numbers line up on the right
                    mark = TEXT
                cells.append(f"<td{mark}>{html.escape(fmt(v))}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        cap = f'<p class="cap">{html.escape(caption)}</p>' if caption else ""  # outside the table: it wraps
        self.parts.append(
            f'{cap}<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>"
        )

    def pairs(self, items: Iterable[tuple[str, Any]], *, caption: str = "") -> None:
        """A two-column table of names and values (as text: a column of mixed words and numbers reads best from
        the left)."""
        self.table(["", "value"], [[k, fmt(v)] for k, v in items], caption=caption)

    def command(self, argv: Sequence[str] | None, settings: dict[str, Any] | None = None) -> None:
        """The exact command line, the resolved settings, and the lstmkit and torch versions."""
        import torch

        from lstmkit import __version__

        self.heading("Reproduce")
        if argv is not None:
            self.paragraph("Command:")
            self.pre("lstmkit " + shlex.join(argv))
        if settings:
            self.paragraph("Settings after defaults, --config, --set and flags:")
            self.pre("\n".join(f"{k} = {v!r}" for k, v in _flatten(settings)))
        self.pairs([("lstmkit", __version__), ("torch", torch.__version__)], caption="versions")

    def render(self) -> str:
        sub = f'<p class="sub">{html.escape(self.subtitle)}</p>' if self.subtitle else ""
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(self.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<header><h1>{html.escape(self.title)}</h1>{sub}</header>\n<main>\n"
            + "\n".join(self.parts)
            + "\n</main>\n<footer>Written by lstmkit. Self-contained: figures are embedded; "
            "no network is needed to read or print this page.</footer>\n</body>\n</html>\n"
        )

    def write(self, path: str | Path) -> Path:
        """Write the page atomically and return ``path``."""
        atomic_write_text(path, self.render())
        return Path(path)


def figure_from(
    rep: Report, folder: Path | None, name: str, draw, *args: Any, alt: str, caption: str = "", **kw: Any
) -> None:
    """Embed ``folder/name`` when the command drew it, else draw it with ``draw(*args, path, **kw)``."""
    if folder is not None and (folder / name).is_file():
        rep.figure(folder / name, alt=alt, caption=caption)
    else:
        rep.figure(png_of(draw, *args, **kw), alt=alt, caption=caption)


def gate_section(rep: Report, explain, *, what: str) -> None:
    """The gate figure and summary of section 1 (``explain()`` returns an Explanation)."""
    rep.heading("What the gates did")
    try:
        expl = explain()
    except LstmkitError as exc:
        rep.paragraph(f"No gate view: {exc}")
        return
    rep.figure(
        png_of(expl.plot),
        alt=f"LSTM gates over {what}",
        caption="Input, forget and output gates (0 to 1) and cell state over time x units, units ordered by "
        "mean forget gate; 'lstmkit explain' writes the numbers as gates.csv.",
    )
    rep.pre(expl.summary())


def training_section(
    rep: Report, history, folder: Path | None, *, name: str = "loss.png", bits: bool = False
) -> None:
    from lstmkit.plots.forecast import plot_loss

    if history is None or not history.rows:
        return
    rep.heading("Training")
    rows = history.rows
    if bits:  # language models: losses in nats per character, drawn as bits per character
        rows = [
            {**r, "train_loss": r["train_loss"] / math.log(2), "val_loss": r["val_loss"] / math.log(2)}
            for r in rows
        ]
        rep.figure(png_of(plot_loss, rows, title="bits per character"), alt="bits per character per epoch")
    else:
        figure_from(rep, folder, name, plot_loss, rows, alt="training and validation loss per epoch")
    rep.paragraph(
        f"{counted(len(rows), 'epoch')}; best epoch {history.best_epoch}"
        + ("; stopped early (validation loss stopped improving)" if history.stopped_early else "")
        + "."
    )


def _best(values: list[float], rule: str | float) -> float:
    """The best of ``values``: the smallest (``"min"``), the largest (``"max"``) or the closest to a number."""
    if rule == "min":
        return min(values)
    if rule == "max":
        return max(values)
    return min(values, key=lambda v: abs(v - float(rule)))


def _number(v: Any) -> bool:
    return (
        isinstance(v, (int, float))
        and not isinstance(v, bool)
        and not (isinstance(v, float) and math.isnan(v))
    )


def _flatten(d: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in d.items():
        if isinstance(v, dict):
            out += _flatten(v, f"{prefix}{k}.")
        else:
            out.append((f"{prefix}{k}", v))
    return out
