"""thinc operations whose matrix products go through NumPy's BLAS instead of blis.

spaCy's CPU models multiply matrices with thinc's `NumpyOps.gemm`, which calls the
bundled blis library. NumPy's own BLAS (OpenBLAS in NumPy's wheels) does the same
products faster on one core here (`nlp.pipe` over 10,000 project texts: about 0.7 of
blis's CPU time); the lemmas and parts of speech are the same (identical on 167,000
tokens of project texts). Queries and batches both run with one BLAS thread
(`one_thread`): a second thread spins more CPU time than it saves (a batch took 1.5 times
the CPU time for a shorter wall time only when a core was idle), and `--jobs` gives a
batch its cores. Imported only when the spaCy pipeline is loaded.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import cache
from typing import Any

from thinc.api import NumpyOps, Ops


class NumpyBlasOps(NumpyOps):
    """`NumpyOps` with thinc's generic `gemm` (NumPy's `dot`) in place of blis."""

    name = "numpy-blas"
    gemm = Ops.gemm


@cache
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_thread() -> AbstractContextManager[Any]:
    """BLAS limited to one thread inside the block (about 6 µs), restored after it."""
    return _controller().limit(limits=1, user_api="blas")
