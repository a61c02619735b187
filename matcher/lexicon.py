"""What French words are, and how common: the lexicon behind spelling fixes and term weights.

The source is `wordfreq`'s large French list (about 300,000 written forms, inflected ones
included, from subtitles, Wikipedia, books, news and the web), folded so that a word typed
without its accents is still a word: "attenuation" is "atténuation". A form counts as a
word from a Zipf frequency of `min_zipf` (once per 100 million words): rarer forms are
mostly typos that the web repeats.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from .text import fold

# Zipf frequency = log10 of occurrences per billion words: "de" 7.7, "enfant" 5.3,
# "harcèlement" 4.1, "kamishibaï" about 1.
MIN_ZIPF = 1.5
COMMONEST_ZIPF = 6.0  # at or above: as uninformative as a word gets ("faire"; "enfant" is 5.3)
RAREST_ZIPF = 4.5  # at or below (or unknown): fully informative ("théâtre" is 4.2)


class WordList(Protocol):
    """Tells a French word (in any form, accents optional) from a typo, and how common it is."""

    def __contains__(self, word: object) -> bool: ...

    def zipf(self, word: str) -> float: ...


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Folded French word forms with their Zipf frequency (the highest among forms that fold alike),
    and the usual accented spelling of those written without accents ("ecrans" -> "écrans")."""

    frequencies: Mapping[str, float] = field(default_factory=dict)
    source: str = ""
    spellings: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_wordfreq(cls, min_zipf: float = MIN_ZIPF) -> Lexicon:
        """Build from wordfreq's large French list (imported here only; about 0.3 s)."""
        import math
        from importlib.metadata import version

        import wordfreq

        frequencies = wordfreq.get_frequency_dict("fr", wordlist="large")
        pairs = ((word, math.log10(share) + 9) for word, share in frequencies.items() if share > 0)
        return cls.from_frequencies(pairs, min_zipf, source=f"wordfreq {version('wordfreq')} (fr, large)")

    @classmethod
    def from_frequencies(
        cls, pairs: Iterable[tuple[str, float]], min_zipf: float = MIN_ZIPF, source: str = ""
    ) -> Lexicon:
        folded: dict[str, float] = {}
        spellings: dict[str, str] = {}
        for word, zipf in pairs:
            if zipf < min_zipf:
                continue
            key = fold(word)
            if key.replace("-", "").replace("'", "").isalpha() and zipf > folded.get(key, 0.0):
                folded[key] = zipf
                if word != key and len(word) == len(key):  # accents only, no ligature: offsets stay
                    spellings[key] = word
                else:
                    spellings.pop(key, None)
        return cls(folded, source, spellings)

    def accented(self, word: str) -> str:
        """The usual spelling of a word typed without accents ("eleves" -> "élèves"), else the word."""
        return self.spellings.get(word, word)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and fold(word) in self.frequencies

    def __len__(self) -> int:
        return len(self.frequencies)

    def zipf(self, word: str) -> float:
        """The word's Zipf frequency, 0 for a word the lexicon lacks."""
        return self.frequencies.get(fold(word), 0.0)

    def specificity(self, word: str) -> float:
        """How informative a word is in French, from 0 (as common as "faire") to 1 (rare or unknown)."""
        return specificity(self.zipf(word))


def specificity(zipf: float) -> float:
    """Linear from 1 at RAREST_ZIPF and below to 0 at COMMONEST_ZIPF and above."""
    return min(1.0, max(0.0, (COMMONEST_ZIPF - zipf) / (COMMONEST_ZIPF - RAREST_ZIPF)))
