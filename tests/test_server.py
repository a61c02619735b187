"""One fitted matcher shared by a multi-user server: same answers under threads, flat memory."""

from __future__ import annotations

import gc
import random
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from matcher import PartnerMatcher
from matcher.text import SPACY_MEMO

WORDS = (
    "atelier lecture parents enfants théâtre santé numérique collège orientation sport football natation "
    "harcèlement écrans devoirs maternelle langues mémoire esclavage europe stage service civique volontaires "
    "bibliothèque livres dents alimentation sommeil philosophie musique danse jardin codage robotique"
).split()


def queries(n: int, seed: int, invented: float = 0.0) -> list[str]:
    """`n` distinct descriptions of 2–6 words; a share of them invented (new strings for spaCy)."""
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        words = rng.sample(WORDS, rng.randint(2, 6))
        if rng.random() < invented:
            words.append("".join(rng.choice("bcdfglmnprstvz") + rng.choice("aeiou") for _ in range(4)))
        out[" ".join(words)] = None
    return list(out)


def fingerprint(matcher: PartnerMatcher, text: str) -> tuple[object, ...]:
    result = matcher.search(text, k=5)
    return result.status, tuple((m.partner_id, round(m.score, 12), m.confidence, m.reason) for m in result.matches)


def test_eight_threads_get_the_serial_answers(matcher: PartnerMatcher) -> None:
    texts = queries(200, seed=1, invented=0.3)
    serial = [fingerprint(matcher, t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        runs = [pool.submit(lambda order: [(i, fingerprint(matcher, texts[i])) for i in order],
                            random.Random(n).sample(range(len(texts)), len(texts))) for n in range(8)]  # fmt: skip
        for run in runs:
            for i, answer in run.result():
                assert answer == serial[i], texts[i]


def resident_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_memory_stays_flat_over_20000_distinct_queries(matcher: PartnerMatcher) -> None:
    texts = queries(25_000, seed=2, invented=1.0)  # each brings a word spaCy has never seen
    for text in texts[:5_000]:  # warm-up: bounded memos (spelling, spaCy's: 4,096 words) and arenas fill up
        matcher.search(text)
    strings = matcher.analyzer_._pipeline().vocab.strings
    gc.collect()
    before, known = resident_mib(), len(strings)
    for text in texts[5_000:]:
        matcher.search(text)
    gc.collect()
    growth = resident_mib() - before
    assert len(strings) == known  # spaCy's string store keeps nothing of a query (memory zones)
    assert growth < 2, f"{growth:.1f} MiB more after 20,000 distinct queries"


def test_spacys_own_memos_stay_bounded(matcher: PartnerMatcher) -> None:
    """spaCy's lemmatizer remembers every (word, part of speech) it meets, and the tokenizer's
    `token_match` answers are remembered too: in a server, neither may grow with what users type.
    (Before they were bounded, memory grew by 1 MiB every 5,000 distinct queries.)"""
    rng = random.Random(4)
    invented = ["".join(rng.choice("bcdfglmnprstvz") + rng.choice("aeiou") for _ in range(5)) for _ in range(5_000)]
    list(matcher.search_many(invented, snippets=False))
    nlp = matcher.analyzer_._pipeline()
    assert 0 < len(nlp.get_pipe("lemmatizer").cache) <= SPACY_MEMO
    # the remembered `token_match` keeps what it kept whole ("anti-gaspillage"), and splits the rest
    words = [t.text for t in nlp("l'anti-gaspillage au jardin-potager")]
    assert words == ["l'", "anti-gaspillage", "au", "jardin", "-", "potager"]
