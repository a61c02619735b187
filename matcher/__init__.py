"""matcher: rank the national partners of the Cités éducatives for a French project description.

Names are imported on first use, so that `import matcher` (and `matcher partners`) stays
light: spaCy and scikit-learn load only when an index is built or a text analysed.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("matcher")
except PackageNotFoundError:  # pragma: no cover - run from a source tree without install
    __version__ = "0+unknown"

_EXPORTS = {
    "THEMES": "catalogue",
    "Partner": "catalogue",
    "InputError": "errors",
    "PartnerMatcher": "index",
    "Thresholds": "confidence",
    "CORRECTION": "results",
    "SYNONYM": "results",
    "WORD": "results",
    "EXAMPLE": "results",
    "Analysis": "results",
    "Contribution": "results",
    "Match": "results",
    "QueryTerm": "results",
    "Result": "results",
    "Snippet": "results",
    "FrenchAnalyzer": "text",
}
__all__ = [
    "CORRECTION", "EXAMPLE", "SYNONYM", "THEMES", "WORD", "Analysis", "Contribution", "FrenchAnalyzer",
    "InputError", "Match", "Partner", "PartnerMatcher", "QueryTerm", "Result", "Snippet", "Thresholds",
]  # fmt: skip

if TYPE_CHECKING:  # pragma: no cover
    from .catalogue import THEMES, Partner
    from .confidence import Thresholds
    from .errors import InputError
    from .index import PartnerMatcher
    from .results import (
        CORRECTION,
        EXAMPLE,
        SYNONYM,
        WORD,
        Analysis,
        Contribution,
        Match,
        QueryTerm,
        Result,
        Snippet,
    )
    from .text import FrenchAnalyzer


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'matcher' has no attribute {name!r}")
