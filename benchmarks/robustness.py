"""How ranking quality holds when référents type without accents or with typos.

Runs the labelled sets as written, with accents stripped, and with seeded typos (one
swapped or dropped letter in 30 % of the words of six letters or more), for this
project's ranker and the standard baselines.
Usage: python benchmarks/robustness.py
"""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

from matcher import PartnerMatcher
from matcher.evaluation import MatcherRanker, baselines, compare, seed_only
from matcher.files import read_labels, read_projects

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    "dev (50)": (ROOT.parent / "shared/eval/dev_projects.csv", ROOT.parent / "shared/eval/dev_labels.csv"),
    "paragraphs/tune (90)": (
        ROOT / "data/eval/paragraphs/tune/projects.csv",
        ROOT / "data/eval/paragraphs/tune/labels.csv",
    ),
}


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def typos(text: str, rng: random.Random, rate: float = 0.3) -> str:
    def damage(match: re.Match[str]) -> str:
        word = match.group(0)
        if rng.random() >= rate:
            return word
        i = rng.randrange(1, len(word) - 2)
        if rng.random() < 0.5:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        return word[:i] + word[i + 1 :]

    return re.sub(r"\w{6,}", damage, text)


def main() -> None:
    matcher = PartnerMatcher.from_csv()
    rankers = [MatcherRanker(matcher), *baselines(matcher.analyzer_)]
    print("| set | variant | " + " | ".join(r.name for r in rankers) + " |")
    print("|---|---|" + "---|" * len(rankers))
    for name, (projects_csv, labels_csv) in SETS.items():
        if not labels_csv.exists():
            continue
        projects, labels = read_projects(projects_csv), read_labels(labels_csv)
        rng = random.Random(0)
        variants = {
            "as written": projects,
            "no accents": {k: strip_accents(v) for k, v in projects.items()},
            "typos": {k: typos(v, rng) for k, v in projects.items()},
        }
        for variant, texts in variants.items():
            ours = compare(rankers[:1], matcher.partners_, texts, labels)
            others = compare(rankers[1:], seed_only(matcher.partners_), texts, labels)
            cells = " | ".join(f"{s['ndcg@5']:.3f}" for _, s in ours + others)
            print(f"| {name} | {variant} | {cells} |")


if __name__ == "__main__":
    main()
