"""Nothing in the package pickles or unpickles: no pickle or joblib, no torch.save or torch.load at all."""

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "lstmkit"


def _code_lines():
    for path in sorted(SRC.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if code.strip() and not code.strip().startswith(('"', "'", "``")):
                yield f"{path.relative_to(SRC)}:{number}", code


def test_no_pickle_or_joblib_imports():
    bad = [
        where
        for where, code in _code_lines()
        if re.search(
            r"\b(import\s+(c?pickle|joblib|dill|shelve|marshal)|from\s+(c?pickle|joblib|dill|shelve|marshal)\s+import)\b",
            code,
        )
        or re.search(r"\b(pickle|joblib|dill|shelve|marshal)\.(load|loads|Unpickler)\b", code)
        or re.search(r"allow_pickle\s*=\s*True", code)
    ]
    assert bad == []


def test_no_torch_save_or_load():
    calls = [where for where, code in _code_lines() if re.search(r"\btorch\.(load|save)\(", code)]
    assert calls == []  # checkpoints are safetensors + JSON (lstmkit.io.checkpoint)
