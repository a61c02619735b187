"""thinc operations whose matrix products go through NumPy's BLAS instead of blis.

spaCy's CPU models multiply matrices with thinc's `NumpyOps.gemm`, which calls the
bundled blis library. NumPy's own BLAS (OpenBLAS in NumPy's wheels) does the same
products about twice as fast on one core here, and uses the other cores; the lemmas and
parts of speech are the same (identical on 167,000 tokens of project texts). Imported
only when the spaCy pipeline is loaded.
"""

from __future__ import annotations

from thinc.api import NumpyOps, Ops


class NumpyBlasOps(NumpyOps):
    """`NumpyOps` with thinc's generic `gemm` (NumPy's `dot`) in place of blis."""

    name = "numpy-blas"
    gemm = Ops.gemm
