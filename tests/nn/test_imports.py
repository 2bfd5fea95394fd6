"""The modules of lstmkit.nn import each other without a cycle, function-level imports included.

Read from the source (ast), not by importing: an edge is any ``import lstmkit.nn.X`` or
``from lstmkit.nn(.X) import ...`` naming a module of nn/, wherever it stands in the file, except
under ``if TYPE_CHECKING:`` (annotations only, never run). Inside nn/ a module imports other
modules, never the names the package re-exports (``from lstmkit.nn import LSTM`` would run
``nn/__init__`` half-way)."""

import ast
from pathlib import Path

import lstmkit.nn

NN = Path(lstmkit.nn.__file__).parent
MODULES = sorted(p.stem for p in NN.glob("*.py") if p.stem != "__init__")


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def imports_of(name: str) -> set[str]:
    """The nn modules that ``name`` imports at run time (at module level or inside functions)."""
    tree = ast.parse((NN / f"{name}.py").read_text())
    skip, found = _type_checking_lines(tree), set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[2] for a in node.names if a.name.startswith("lstmkit.nn.")}
        elif isinstance(node, ast.ImportFrom) and node.module == "lstmkit.nn":
            names = {a.name for a in node.names}
            assert names <= set(MODULES), (
                f"{name}.py imports {names - set(MODULES)} from the package lstmkit.nn"
            )
            found |= names
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lstmkit.nn."):
            found.add(node.module.split(".")[2])
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the directed graph as a list of nodes, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_scan_finds_function_level_imports_and_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    assert "schedule" in imports_of("explicit_loop")
    assert "lstm" not in imports_of("trace")  # under TYPE_CHECKING only


def test_no_import_cycle_inside_nn():
    graph = {name: imports_of(name) for name in MODULES}
    assert all(deps <= set(MODULES) for deps in graph.values())
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_the_variant_spec_and_the_reference_stand_at_the_bottom():
    """variants.py (the keywords) imports nothing from nn/; the reference LSTM only variants.py."""
    assert imports_of("variants") == set()
    assert imports_of("reference") == {"variants"}
