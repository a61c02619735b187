"""matcher: rank the national partners of the Cités éducatives for a French project description."""

from .catalogue import THEMES, Partner
from .errors import InputError
from .index import PartnerMatcher, Thresholds
from .results import CORRECTION, SYNONYM, WORD, Analysis, Contribution, Match, QueryTerm, Result, Snippet
from .text import FrenchAnalyzer

__all__ = [
    "CORRECTION",
    "SYNONYM",
    "THEMES",
    "WORD",
    "Analysis",
    "Contribution",
    "FrenchAnalyzer",
    "InputError",
    "Match",
    "Partner",
    "PartnerMatcher",
    "QueryTerm",
    "Result",
    "Snippet",
    "Thresholds",
]
__version__ = "0.1.0"
