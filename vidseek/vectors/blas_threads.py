"""How many threads numpy's BLAS runs on, set while the process runs (threadpoolctl): the process
that answers queries (``vidseek serve``) runs it on one.

A query's numpy work is many small products: each grounded window of ~50 frames times the query,
each moment's pooled frames, the relevance sample of 1,024 clips. OpenBLAS splits every product
past about 9,000 elements over its threads, and handing the halves to a second thread costs more
than the product whenever the other cores are busy (with other requests, the encoder, a worker, or
another process): on two busy cores a 1,024 x 512 product by a vector took 7.7 ms on two threads
and 0.08 ms on one. Requests already run in parallel, one thread each. The answers stay the same
(each output is one row's dot product either way; 240 pages of the 20k-clip benchmark library came
back identical, byte for byte).

Only the BLAS that numpy ships with is set; FAISS's own (training an inverted file) keeps its threads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def numpy_blas_files() -> list[str]:
    """The BLAS libraries loaded from numpy's own install (its wheel's ``numpy.libs`` or ``.dylibs``);
    none where numpy uses a system BLAS, which is then left as it is."""
    from threadpoolctl import threadpool_info

    home = Path(np.__file__).resolve().parent
    return [
        info["filepath"]
        for info in threadpool_info()
        if info["user_api"] == "blas" and _ships_with(Path(info["filepath"]).resolve(), home)
    ]


def limit_numpy_blas(threads: int) -> list[str]:
    """Run numpy's own BLAS (``numpy_blas_files``) on ``threads`` threads from now on; returns its files."""
    from threadpoolctl import ThreadpoolController

    files = numpy_blas_files()
    if files:
        ThreadpoolController().select(filepath=files).limit(limits=threads)
    return files


def _ships_with(library: Path, numpy_home: Path) -> bool:
    return library.is_relative_to(numpy_home) or library.is_relative_to(numpy_home.parent / "numpy.libs")
