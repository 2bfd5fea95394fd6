"""The compiled loop as users get it: shipped in the wheel, built where it is installed, and loud when it is not.

- a wheel built from the checkout holds every source the extension build needs (``csrc/*.cpp``
  and ``*.h``); installed into a fresh virtual environment (torch shared through a ``.pth``
  line, not reinstalled), it builds the extension from its own files and the explicit backend
  runs ``lstmkit::forward_loop``;
- a machine with a C++ compiler must build the extension: the suite fails, not skips;
- a failed build says so once on stderr (an ExtensionWarning), and with
  ``LSTMKIT_REQUIRE_EXTENSION=1`` it is an error instead of the fallback.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import warnings
import zipfile
from pathlib import Path

import pytest
import torch

from lstmkit.nn import LSTM, kernel

ROOT = Path(__file__).resolve().parents[2]
CSRC = ROOT / "src" / "lstmkit" / "nn" / "csrc"
HAS_COMPILER = shutil.which(os.environ.get("CXX", "c++")) is not None

# Run inside the fresh environment: where lstmkit comes from, whether the loop is built, and
# whether the explicit forward really calls the compiled op.
PROBE = """
import sys, torch, lstmkit
from lstmkit.nn import LSTM, kernel
assert kernel.available(), kernel._state
m = LSTM(3, 4, backend="explicit")
with torch.profiler.profile() as prof:
    m(torch.randn(5, 2, 3))
ops = {e.name for e in prof.events()}
print(lstmkit.__file__)
print("lstmkit::forward_loop" in ops)
"""


@pytest.fixture
def fresh_state(monkeypatch):
    """kernel's build state forgotten for the test and restored after it."""
    saved = dict(kernel._state)
    kernel._state.clear()
    yield
    kernel._state.clear()
    kernel._state.update(saved)


@pytest.mark.skipif(not HAS_COMPILER, reason="no C++ compiler on this machine")
def test_a_machine_with_a_compiler_builds_the_extension(monkeypatch):
    monkeypatch.delenv("LSTMKIT_NO_EXTENSION", raising=False)
    assert kernel.available(), f"the compiled LSTM loop did not build: {kernel._state.get('why')}"


def test_failed_build_warns_once_on_stderr(monkeypatch, fresh_state):
    monkeypatch.delenv("LSTMKIT_NO_EXTENSION", raising=False)
    monkeypatch.delenv("LSTMKIT_REQUIRE_EXTENSION", raising=False)
    monkeypatch.setattr(kernel, "_build", lambda: (False, "no C++ compiler (c++ or $CXX) on PATH"))
    with pytest.warns(
        kernel.ExtensionWarning, match=r"compiled LSTM loop is unavailable \(no C\+\+ compiler"
    ):
        assert not kernel.available()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once: no second warning
        assert not kernel.available()
        x = torch.randn(4, 2, 3)
        m = LSTM(3, 5, backend="explicit")
        torch.testing.assert_close(
            m(x)[0], m.to_torch()(x)[0], atol=1e-5, rtol=1e-5
        )  # the PyTorch loop serves


def test_required_extension_turns_the_fallback_into_an_error(monkeypatch, fresh_state):
    monkeypatch.delenv("LSTMKIT_NO_EXTENSION", raising=False)
    monkeypatch.setenv("LSTMKIT_REQUIRE_EXTENSION", "1")
    monkeypatch.setattr(kernel, "_build", lambda: (False, "building csrc/*.cpp failed: rows.h: No such file"))
    with pytest.raises(
        kernel.ExtensionError, match=r"could not be built \(building csrc/\*\.cpp failed: rows\.h"
    ):
        LSTM(3, 5, backend="explicit")(torch.randn(4, 2, 3))
    monkeypatch.setenv("LSTMKIT_NO_EXTENSION", "1")  # switched off on purpose: no error
    assert not kernel.available()


def test_package_data_lists_every_source_the_build_needs():
    text = (ROOT / "pyproject.toml").read_text()
    suffixes = {p.suffix for p in CSRC.iterdir() if p.is_file()}
    assert suffixes <= {".cpp", ".h"}
    assert '"nn/csrc/*.cpp"' in text and '"nn/csrc/*.h"' in text


@pytest.mark.slow
@pytest.mark.skipif(not HAS_COMPILER, reason="no C++ compiler on this machine")
@pytest.mark.skipif(
    importlib.util.find_spec("setuptools") is None,
    reason="setuptools is not installed: no offline wheel build (--no-build-isolation)",
)
def test_wheel_installs_and_builds_the_compiled_loop(tmp_path):
    """pip wheel -> fresh venv -> the installed copy builds its extension and runs it (about a minute)."""
    pip = [sys.executable, "-m", "pip"]
    tree = tmp_path / "tree"  # a copy of the checkout: the build leaves build/ and *.egg-info behind
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"), str(tree)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("lstmkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for src in CSRC.iterdir():
        assert f"lstmkit/nn/csrc/{src.name}" in names, f"{src.name} missing from the wheel"

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    subprocess.run(
        [*pip, "install", "-q", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    # torch and the other dependencies from this environment, after the fresh site-packages
    (site / "shared-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LSTMKIT_", "PYTHON"))}
    env |= {
        "LSTMKIT_CACHE_DIR": str(tmp_path / "cache"),
        "LSTMKIT_REQUIRE_EXTENSION": "1",
        "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    }  # ninja from this environment
    done = subprocess.run([py, "-c", PROBE], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    where, used = done.stdout.split()[-2:]
    assert Path(where).is_relative_to(site), f"lstmkit imported from {where}, not the installed wheel"
    assert used == "True", "the explicit forward did not call lstmkit::forward_loop"
    assert any((tmp_path / "cache").rglob("*.so")), "no extension built from the installed sources"
