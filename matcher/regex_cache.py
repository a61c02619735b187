"""Very long regular expressions compiled once, then read back from the cache directory.

Importing spaCy's French language data compiles its tokenizer's `TOKEN_MATCH`, one
pattern of 1.45 million characters listing hyphenated words: about 1.7 s of every start,
spent by Python's `re` parsing the pattern and generating its program. The program is a
list of integers that `_sre.compile` turns back into the very same pattern object in a
few milliseconds, so it is saved with the fitted models (`matcher.model_cache`), under a
key of the pattern, its flags and the Python version. This leans on `re`'s internals
(`re._parser`, `re._compiler`, `_sre.compile`), written against CPython 3.11's: on another
version, whatever fails falls back on `re.compile`, and a test checks that the pattern read
back is equal to the compiled one (`Pattern.__eq__` compares the programs).
"""

from __future__ import annotations

import array
import hashlib
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import model_cache

LONG = 100_000  # characters from which a pattern is worth caching
_compile = re.compile
_patching = threading.RLock()


@dataclass(frozen=True)
class Program:
    """What `_sre.compile` needs besides the pattern."""

    flags: int
    code: bytes  # the program's unsigned ints, as `array("I")` writes them
    groups: int
    groupindex: dict[str, int]
    indexgroup: tuple[str | None, ...]


def program(pattern: str, flags: int = 0) -> Program:
    """Parse and generate the program of `pattern` as `re.compile` does, and keep it."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    tree = _parser.parse(pattern, flags)
    indexgroup: list[str | None] = [None] * tree.state.groups
    for name, index in tree.state.groupdict.items():
        indexgroup[index] = name
    code = array.array("I", _compiler._code(tree, flags)).tobytes()
    return Program(flags | tree.state.flags, code, tree.state.groups - 1, dict(tree.state.groupdict), tuple(indexgroup))


def compiled(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, its program read from the cache when saved before."""
    import _sre

    try:
        digest = hashlib.sha256(pattern.encode("utf-8", "surrogatepass")).hexdigest()
        key = model_cache.key_of(("regex", sys.version, _sre.MAGIC, flags, digest))
        saved = model_cache.cached(key, lambda: program(pattern, flags))
        code = array.array("I")
        code.frombytes(saved.code)
        return _sre.compile(  # type: ignore[no-any-return]
            pattern, saved.flags, code.tolist(), saved.groups, saved.groupindex, saved.indexgroup
        )
    except Exception:  # another Python's internals, an unreadable cache: compile as usual
        return _compile(pattern, flags)


def _compile_long(pattern: Any, flags: int = 0) -> Any:
    if isinstance(pattern, str) and len(pattern) >= LONG and model_cache.cache_dir() is not None:
        return compiled(pattern, flags)
    return _compile(pattern, flags)


@contextmanager
def long_patterns_cached() -> Iterator[None]:
    """Within the block, `re.compile` of a very long pattern goes through `compiled`."""
    with _patching:  # one thread at a time; a nested block restores what it found
        previous = re.compile
        re.compile = _compile_long  # type: ignore[assignment]
        try:
            yield
        finally:
            re.compile = previous  # type: ignore[assignment]
