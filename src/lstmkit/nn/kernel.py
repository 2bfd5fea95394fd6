"""The compiled time loop of the explicit backend: build, cache and load the C++ extension.

``csrc/explicit_loop.cpp`` registers ``torch.ops.lstmkit.forward_loop`` and ``backward_loop`` (the
plain cell), ``csrc/variant_loop.cpp`` ``variant_forward_loop`` and ``variant_backward_loop``
(the variants); CPU, float32/float64. It is compiled with :func:`torch.utils.cpp_extension.load` at first
use (about a minute; a small job that says its size, such as one window's trace, never waits for it:
see :func:`usable_for`), into a per-user cache folder keyed by the torch and Python versions:
``$LSTMKIT_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/lstmkit`` or ``~/.cache/lstmkit``. Later
processes load the built library in well under a second. torch's build lock makes concurrent
builds (threads, processes, pytest-xdist workers) safe; a lock here keeps one build per process.

Without a C++ compiler or ninja, or when the build fails, the explicit backend runs its
pure-PyTorch loops (same numbers, slower at small sizes) and says so once, with the reason, as
an :class:`ExtensionWarning` (shown on stderr by Python's default warning filter) and in the
log. ``LSTMKIT_NO_EXTENSION=1`` turns the extension off quietly. ``LSTMKIT_REQUIRE_EXTENSION=1``
(set by ``make test``, so CI fails rather than skips) turns a failed build into an
:class:`ExtensionError` instead of the fallback.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import shutil
import sys
import threading
import warnings
from pathlib import Path

import torch
from torch.nn import functional as F

from lstmkit.nn import autograd_loop

log = logging.getLogger(__name__)

_SOURCES = [Path(__file__).with_name("csrc") / name for name in ("explicit_loop.cpp", "variant_loop.cpp")]
# -march=native: the build is for this machine's CPU (the cache key holds a hash of its flags);
# -ffast-math lets the compiler vectorise exp through glibc's libmvec.
_CFLAGS = ["-O3", "-march=native", "-ffast-math", "-fopenmp-simd"]
_lock = threading.Lock()


class ExtensionWarning(RuntimeWarning):
    """The compiled loop could not be built: the explicit backend runs its slower PyTorch loop."""


class ExtensionError(RuntimeError):
    """The compiled loop could not be built while ``LSTMKIT_REQUIRE_EXTENSION=1`` asks for it."""


_state: dict[str, object] = {}  # "ok": bool once tried, "why": the reason it is off


def cache_dir() -> Path:
    """Where the extension is built: per user, per torch and Python version."""
    root = os.environ.get("LSTMKIT_CACHE_DIR")
    if not root:
        root = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "lstmkit")
    tag = f"torch{torch.__version__.replace('+', '_')}-py{sys.version_info[0]}{sys.version_info[1]}-{_cpu_tag()}"
    return Path(root) / "extensions" / tag


def _cpu_tag() -> str:
    """A short hash of the CPU's feature flags: a -march=native build only runs where it was built."""
    text = platform.machine() + platform.processor()
    try:
        with open("/proc/cpuinfo") as fh:
            text += next((line for line in fh if line.startswith(("flags", "Features"))), "")
    except OSError:
        pass
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def disabled_by_env() -> bool:
    """True when ``LSTMKIT_NO_EXTENSION`` is set to anything but ``""`` or ``"0"``."""
    return _env_flag("LSTMKIT_NO_EXTENSION")


def required_by_env() -> bool:
    """True when ``LSTMKIT_REQUIRE_EXTENSION`` is set to anything but ``""`` or ``"0"``."""
    return _env_flag("LSTMKIT_REQUIRE_EXTENSION")


def _build() -> tuple[bool, str]:
    from torch.utils import cpp_extension

    missing = [str(p) for p in _SOURCES if not p.exists()]
    if missing:
        return False, f"source {missing[0]} is missing"
    if shutil.which(os.environ.get("CXX", "c++")) is None:
        return False, "no C++ compiler (c++ or $CXX) on PATH"
    try:
        cpp_extension.verify_ninja_availability()
    except RuntimeError:
        return False, "ninja is not installed (pip install ninja)"
    build = cache_dir()
    build.mkdir(parents=True, exist_ok=True)
    # torch rebuilds when the sources or flags change, but does not read the headers: their hash
    # goes into the flags
    headers = hashlib.sha1(
        b"".join(p.read_bytes() for p in sorted(_SOURCES[0].parent.glob("*.h")))
    ).hexdigest()[:12]
    try:
        cpp_extension.load(
            name="lstmkit_lstm_loop",
            sources=[str(p) for p in _SOURCES],
            build_directory=str(build),
            extra_cflags=[*_CFLAGS, f"-DLSTMKIT_HEADERS={headers}"],
            is_python_module=False,
            verbose=False,
        )
    except Exception as err:  # a broken toolchain must not break the layer: fall back
        return (
            False,
            f"building {_SOURCES[0].parent.name}/*.cpp failed: {str(err).strip().splitlines()[-1][:300]}",
        )
    return True, ""


def available() -> bool:
    """Whether the compiled loops can be used, building them on the first call.

    Raises:
        ExtensionError: the build failed and ``LSTMKIT_REQUIRE_EXTENSION=1`` is set.
    """
    if disabled_by_env():
        return False
    if "ok" not in _state:
        with _lock:
            if "ok" not in _state:
                ok, why = _build()
                _state["ok"], _state["why"] = ok, why
                if not ok and not required_by_env():
                    message = (
                        f"lstmkit: the compiled LSTM loop is unavailable ({why}); the explicit backend "
                        "runs its PyTorch loop, which gives the same numbers more slowly"
                    )
                    log.warning("%s", message)
                    warnings.warn(message, ExtensionWarning, stacklevel=2)
    if not _state["ok"] and required_by_env():
        raise ExtensionError(
            f"lstmkit: the compiled LSTM loop could not be built ({_state['why']}) and LSTMKIT_REQUIRE_EXTENSION=1 "
            "asks for it; install a C++ compiler and ninja, or unset LSTMKIT_REQUIRE_EXTENSION to use the "
            "PyTorch loop"
        )
    return bool(_state["ok"])


# A build takes 10-60 s (once per machine; later processes load it from the cache in about 0.1 s).
# Work smaller than this many cell updates (rows x hidden units x layers x directions) takes at most
# a second or so on torch's ops and saves at most half a second on the compiled loops: it uses them
# when this process has them already and never waits for a build (report.html traces one window).
BUILD_MIN_WORK = 1 << 24


def usable_for(t: torch.Tensor, work: int | None = None) -> bool:
    """Whether the compiled loops apply to tensors like ``t`` (CPU, float32/float64).

    ``work``: the cell updates of the job at hand; below :data:`BUILD_MIN_WORK` the loops are used
    only if this process has built or loaded them already. Without it they are built at first use.
    """
    if t.device.type != "cpu" or t.dtype not in (torch.float32, torch.float64):
        return False
    if work is not None and work < BUILD_MIN_WORK and "ok" not in _state:
        return False
    return available()


# ---- the large matmuls outside the time loops --------------------------------------------------

# Below this many multiply-adds oneDNN's per-call cost outweighs its speed (as in csrc/rows.h).
_ONEDNN_MACS = 1 << 21


def _onednn(a: torch.Tensor, macs: int) -> bool:
    """Whether a float32 CPU matmul of ``macs`` multiply-adds should run as oneDNN's inner product."""
    return (
        macs >= _ONEDNN_MACS
        and a.dtype == torch.float32
        and a.device.type == "cpu"
        and not (torch.is_grad_enabled() and a.requires_grad)
        and torch.backends.mkldnn.is_available()
        and os.environ.get("LSTMKIT_GEMM", "") != "mm"
    )


def linear(x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """``x w^T + bias`` for ``x (N, K)``, ``w (M, K)``, on tensors autograd does not track.

    Large float32 products run as oneDNN's inner product (the GEMM behind torch's own CPU LSTM,
    1.5-2x at::mm where MKL takes a generic path, e.g. on AMD); the rest as addmm.
    """
    if _onednn(x, x.size(0) * w.numel()):
        return torch.ops.mkldnn._linear_pointwise(x.contiguous(), w.contiguous(), bias, "none", [], "")
    return torch.mm(x, w.t()) if bias is None else torch.addmm(bias, x, w.t())


def matmul_tn(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a^T b`` for ``a (N, M)``, ``b (N, K)`` (a weight gradient), outside autograd; as :func:`linear`."""
    if _onednn(a, a.numel() * b.size(1)):
        return linear(b.t().contiguous(), a.t()).t()  # (b^T a)^T
    return torch.mm(a.t(), b)


class _Linear(torch.autograd.Function):
    """``x w^T + b`` through :func:`linear` forward and backward (oneDNN where it pays)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        ctx.save_for_backward(x, w)
        return linear(x, w, bias)

    @staticmethod
    def backward(ctx, g: torch.Tensor):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        if autograd_loop.needs_recompute((g,)):  # create_graph or vmap: differentiable ops
            return (
                g.mm(w) if need_x else None,
                g.t().mm(x) if need_w else None,
                g.sum(0) if need_b else None,
            )
        return (
            linear(g, w.t()) if need_x else None,
            matmul_tn(g, x) if need_w else None,
            g.sum(0) if need_b else None,
        )


def project(x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """``F.linear(x, w, bias)`` for ``x (N, K)`` under autograd, its large float32 products on oneDNN."""
    eligible = x.dtype == torch.float32 and x.device.type == "cpu" and x.size(0) * w.numel() >= _ONEDNN_MACS
    if (
        not eligible
        or autograd_loop.transforms_active()
        or os.environ.get("LSTMKIT_GEMM", "") == "mm"
        or not torch.backends.mkldnn.is_available()
    ):
        return F.linear(x, w, bias)
    return _Linear.apply(x, w, bias)
