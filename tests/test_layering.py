"""The layering holds: files, evaluation, data and training know no job.

``io/``, ``evaluate/``, ``data/`` and ``train/`` sit below the jobs (CLI -> jobs -> train / evaluate
/ io / plots -> networks / layer / data): they take a network plus plain values, or a typed
protocol, never a job. Scanned from the source (function-level imports included), not imported.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "lstmkit"
LOWER = ("io", "evaluate", "data", "train")
ABOVE = ("lstmkit.models", "lstmkit.cli", "lstmkit.explain", "lstmkit.plots")
FILES = sorted(p for package in LOWER for p in (SRC / package).rglob("*.py"))


def _module_of(path: Path) -> str:
    return ".".join(("lstmkit", *path.relative_to(SRC).with_suffix("").parts))


def _imported(node: ast.AST, path: Path) -> list[str]:
    """The modules an import statement or an ``import_module("...")`` call names, made absolute."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:  # relative: from the file's package upwards
            package = _module_of(path).split(".")[: -node.level]
            base = ".".join(package + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        return [base] + [f"{base}.{alias.name}" for alias in node.names]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
            return [node.args[0].value]
    return []


def _private_reads(tree: ast.AST) -> list[str]:
    """``param._name`` (and ``getattr(param, "_name")``) on a function's parameters other than self and cls."""
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        a = fn.args
        params = {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg) if p} - {
            "self",
            "cls",
        }
        for node in ast.walk(fn):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                owner, attr = node.value.id, node.attr
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") in ("getattr", "setattr", "hasattr")
                and len(node.args) >= 2
                and isinstance(node.args[0], ast.Name)
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                owner, attr = node.args[0].id, node.args[1].value
            else:
                continue
            if owner in params and attr.startswith("_") and not attr.startswith("__"):
                found.append(f"line {node.lineno}: {owner}.{attr}")
    return found


def test_the_scan_sees_the_lower_packages():
    assert len(FILES) > 20 and {p.relative_to(SRC).parts[0] for p in FILES} == set(LOWER)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_lower_packages_import_no_job_command_or_explanation(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [
        f"line {node.lineno}: {name}"
        for node in ast.walk(tree)
        for name in _imported(node, path)
        if any(name == top or name.startswith(top + ".") for top in ABOVE)
    ]
    assert not bad, f"{path.relative_to(SRC)} reaches above its layer: {bad}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_lower_packages_read_no_private_attribute_of_what_they_are_given(path):
    bad = _private_reads(ast.parse(path.read_text(encoding="utf-8")))
    assert not bad, f"{path.relative_to(SRC)} reads private attributes of its arguments: {bad}"


def test_the_scan_catches_what_it_forbids(tmp_path):
    """The checks themselves: a function-level job import, a relative one and a private read are all caught."""
    source = (
        "def export(model, path):\n"
        "    from lstmkit.models.forecaster import LSTMForecaster\n"
        "    from ..cli import main\n"
        "    net = model._require_fitted()\n"
        "    return getattr(model, '_state')\n"
    )
    path = SRC / "io" / "example.py"  # never written: only its name places the relative import
    tree = ast.parse(source)
    names = [name for node in ast.walk(tree) for name in _imported(node, path)]
    assert "lstmkit.models.forecaster" in names and "lstmkit.cli" in names
    assert sorted(_private_reads(tree)) == ["line 4: model._require_fitted", "line 5: model._state"]


NETWORKS = sorted((SRC / "networks").glob("*.py"))
LAYER = ("lstmkit.nn", "lstmkit.networks", "lstmkit.errors")


@pytest.mark.parametrize("path", NETWORKS, ids=lambda p: p.name)
def test_networks_need_only_the_layer(path):
    """A network is an nn.Module on lstmkit.nn and torch: no data reading, training, files or jobs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [
        f"line {node.lineno}: {name}"
        for node in ast.walk(tree)
        for name in _imported(node, path)
        if name.startswith("lstmkit") and not any(name == top or name.startswith(top + ".") for top in LAYER)
    ]
    assert not bad, f"networks/{path.name} imports more than the layer: {bad}"
