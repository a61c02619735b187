"""thinc operations for inference: NumPy's BLAS instead of blis, and NumPy for maxout and windows.

spaCy's CPU models run on thinc's `NumpyOps`. For the tagging that the matcher runs, three
of its operations have faster equivalents that give the same numbers:

- `gemm`: NumPy's own BLAS (OpenBLAS in NumPy's wheels) does the matrix products faster
  on one core than the bundled blis (`nlp.pipe` over 10,000 project texts: about 0.7 of
  blis's CPU time); lemmas and parts of speech are the same (identical on 167,000 tokens
  of project texts).
- `maxout`: the largest of a unit's pieces, taken with `numpy.maximum` over whole slices,
  about five times faster than thinc's loop, which also records which piece won, for
  training. These operations are for inference only: nothing is ever trained with them.
- `seq2col` with a window of one word over one padded sequence (how spaCy's taggers call
  it): three shifted copies of the rows instead of thinc's loop over rows; with text bounds
  given, thinc's own.

Together, the last two take about a tenth off spaCy's tagging of project texts (8,024
texts: 4.2-4.6 s of CPU instead of 4.9-5.2 s, the same tags). Queries and batches both run
with one BLAS thread (`one_thread`): a second thread spins more CPU time than it saves (a
batch took 1.5 times the CPU time for a shorter wall time only when a core was idle), and
`--jobs` gives a batch its cores. Imported only when the spaCy pipeline is loaded.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import cache
from typing import Any

import numpy as np
from thinc.api import NumpyOps, Ops


class InferenceOps(NumpyOps):
    """`NumpyOps` with NumPy's BLAS for `gemm` and NumPy slices for `maxout` and one-word
    `seq2col`: the same numbers, faster. Inference only: `maxout` records no winning pieces."""

    name = "numpy-inference"
    gemm = Ops.gemm

    def maxout(self, X: Any) -> tuple[Any, None]:
        pieces = X.shape[-1]
        best = np.maximum(X[..., 0], X[..., 1]) if pieces > 1 else X[..., 0].copy()
        for piece in range(2, pieces):
            np.maximum(best, X[..., piece], out=best)
        return best, None

    def backprop_maxout(self, dY: Any, which: Any, P: int) -> Any:
        raise NotImplementedError("InferenceOps runs models, it does not train them")

    def seq2col(self, seq: Any, nW: int, *, lengths: Any = None) -> Any:
        if nW != 1 or seq.ndim != 2 or lengths is not None:  # spaCy's taggers pad texts apart and pass no bounds
            return super().seq2col(seq, nW, lengths=lengths)
        rows, width = seq.shape
        out = np.empty((rows, 3 * width), dtype=seq.dtype)
        out[:1, :width] = 0
        out[1:, :width] = seq[:-1]
        out[:, width : 2 * width] = seq
        out[:-1, 2 * width :] = seq[1:]
        out[-1:, 2 * width :] = 0
        return out


@cache
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_thread() -> AbstractContextManager[Any]:
    """BLAS limited to one thread inside the block (about 6 µs), restored after it."""
    return _controller().limit(limits=1, user_api="blas")
