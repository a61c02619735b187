"""Spelling fixes: a typed word that is no French word, bent to the nearest word the engine knows."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Container
from typing import Any, Protocol

from rapidfuzz.distance import OSA
from rapidfuzz.process import extractOne

MIN_LENGTH = 5  # shorter words are too often acronyms or other words one letter away
MEMO_SIZE = 4_096


class Corrector(Protocol):
    """Maps a misspelt folded word to a known word, or None."""

    def correct(self, word: str) -> str | None: ...


class SpellingCorrector:
    """The known word within one edit (two from 8 letters) of a word that is in no form a French word.

    Edits are insertions, deletions, substitutions and swaps of neighbours (optimal string
    alignment, computed by rapidfuzz); the first letter must agree, as it does in nearly
    every typo. A real word is never "corrected", even one the catalogue lacks ("arbre",
    or "attenuation" typed without its accent): only words absent from `lexicon` are.
    Answers are remembered (a bounded memo, safe across threads).
    """

    def __init__(self, known: Collection[str], lexicon: Container[str], min_length: int = MIN_LENGTH):
        self.lexicon = lexicon
        self.min_length = min_length
        by_letter: dict[str, list[str]] = {}
        for word in sorted(known):
            if word.isalpha() and len(word) >= min_length - 1:
                by_letter.setdefault(word[0], []).append(word)
        self.by_letter = {letter: tuple(words) for letter, words in by_letter.items()}
        self._memo: OrderedDict[str, str | None] = OrderedDict()
        self._guard = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"lexicon": self.lexicon, "min_length": self.min_length, "by_letter": self.by_letter}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._memo = OrderedDict()
        self._guard = threading.Lock()

    def correct(self, word: str) -> str | None:
        if len(word) < self.min_length or not word.isalpha() or word in self.lexicon:
            return None
        with self._guard:
            if word in self._memo:
                self._memo.move_to_end(word)
                return self._memo[word]
        fixed = self._nearest(word)
        with self._guard:
            self._memo[word] = fixed
            if len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        return fixed

    def _nearest(self, word: str) -> str | None:
        allowed = 1 if len(word) < 8 else 2
        best = extractOne(word, self.by_letter.get(word[0], ()), scorer=OSA.distance, score_cutoff=allowed)
        return best[0] if best is not None else None
