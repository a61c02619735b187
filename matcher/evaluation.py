"""Ranking quality: nDCG@k, hit@3 and MRR exactly as `shared/eval/score.py`, and baselines.

Baselines see only the partners' names and descriptions, as in the comparison of the
ranking-quality issue: raw-word TF-IDF, TF-IDF on spaCy lemmas, BM25 on Snowball
stems, TF-IDF on character 3–5-grams.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from .catalogue import Partner
from .index import PartnerMatcher
from .results import Result
from .text import FrenchAnalyzer

# Partners ranked per project, as `matcher batch -k 10` does: MRR looks this deep.
RANK_DEPTH = 10
FOLDS = 5  # for the projects the matcher learnt from: see MatcherRanker
# The project's own labelled sets: data/eval/<kind>/<split>/ with projects.csv, labels.csv, nofit.csv.
EVAL_DIR = Path(__file__).resolve().parent.parent / "data" / "eval"
SHARED_DEV = EVAL_DIR.parent.parent.parent / "shared" / "eval"

Labels = Mapping[str, Mapping[str, int]]
Rankings = Mapping[str, Sequence[str]]


def score(labels: Labels, ranked: Rankings, k: int = 5) -> dict[str, float]:
    """Mean nDCG@k, hit@3 and MRR over the labelled projects (a missing project scores 0)."""
    per_project = score_projects(labels, ranked, k)
    m = len(per_project) or 1
    return {
        f"ndcg@{k}": sum(p[0] for p in per_project.values()) / m,
        "hit@3": sum(p[1] for p in per_project.values()) / m,
        "mrr": sum(p[2] for p in per_project.values()) / m,
        "projects": len(per_project),
    }


def score_projects(labels: Labels, ranked: Rankings, k: int = 5) -> dict[str, tuple[float, float, float]]:
    """(nDCG@k, hit@3, reciprocal rank) per project, with the scorer's exact definitions."""
    out = {}
    for project, relevance in labels.items():
        got = list(ranked.get(project, []))
        dcg = sum((2 ** relevance.get(p, 0) - 1) / math.log2(i + 2) for i, p in enumerate(got[:k]))
        ideal = sorted(relevance.values(), reverse=True)[:k]
        idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
        top = max(relevance.values())
        first = next((i + 1 for i, p in enumerate(got) if relevance.get(p, 0) >= top), None)
        out[project] = (
            dcg / idcg if idcg else 0.0,
            1.0 if first is not None and first <= 3 else 0.0,
            1.0 / first if first else 0.0,
        )
    return out


def format_scores(scores: Mapping[str, float]) -> str:
    """The scorer's own output line: "ndcg@5=0.912 hit@3=0.960 mrr=0.930 projects=50"."""
    return " ".join(f"{key}={v:.3f}" if isinstance(v, float) else f"{key}={v}" for key, v in scores.items())


class Ranker(Protocol):
    name: str

    def fit(self, partners: Sequence[Partner]) -> Ranker: ...

    def rank_ids(self, descriptions: Sequence[str], k: int) -> list[list[str]]: ...


class MatcherRanker:
    """This project's ranker, for comparison: the ids of `search_many`'s matches.

    Descriptions the matcher learnt from (its judged projects, `matcher.learning`) are ranked
    held out (`held_out_search`).
    """

    name = "matcher (ce projet)"

    def __init__(self, matcher: PartnerMatcher):
        self.matcher = matcher

    def fit(self, partners: Sequence[Partner]) -> MatcherRanker:
        return self  # already fitted on the full catalogue

    def rank_ids(self, descriptions: Sequence[str], k: int) -> list[list[str]]:
        return [[m.partner_id for m in r.matches] for r in held_out_search(self.matcher, descriptions, k)]


def held_out_search(matcher: PartnerMatcher, descriptions: Iterable[str], k: int) -> list[Result]:
    """`search_many`, but each description the matcher learnt from (its judged projects) is searched
    held out: in FOLDS folds, each by a copy that has not learnt from that fold's descriptions."""
    descriptions = list(descriptions)
    if not matcher.learnt_from(descriptions):
        return list(matcher.search_many(descriptions, k))
    out: list[Result | None] = [None] * len(descriptions)
    for fold in range(FOLDS):
        positions = range(fold, len(descriptions), FOLDS)
        held = matcher.without_examples([descriptions[i] for i in positions])
        for i, result in zip(positions, held.search_many([descriptions[i] for i in positions], k)):
            out[i] = result
    return out  # type: ignore[return-value]


class TfidfBaseline:
    """Cosine over TF-IDF of the seed text (name + description) with a given analyzer."""

    def __init__(self, name: str, **vectorizer_options: object):
        self.name = name
        self.options = vectorizer_options

    def fit(self, partners: Sequence[Partner]) -> TfidfBaseline:
        self.ids_ = [p.partner_id for p in partners]
        self.vectorizer_ = TfidfVectorizer(**self.options)  # type: ignore[arg-type]
        self.matrix_ = self.vectorizer_.fit_transform([f"{p.name}. {p.description}" for p in partners])
        return self

    def rank_ids(self, descriptions: Sequence[str], k: int) -> list[list[str]]:
        scores = (self.vectorizer_.transform(list(descriptions)) @ self.matrix_.T).toarray()
        return [[self.ids_[i] for i in np.argsort(-row, kind="stable")[:k]] for row in scores]


class Bm25Baseline:
    """BM25 (bm25s) over French Snowball stems of the seed text."""

    name = "BM25, racines Snowball"

    def fit(self, partners: Sequence[Partner]) -> Bm25Baseline:
        bm25s, stemmer = _bm25_modules()
        self.ids_ = [p.partner_id for p in partners]
        self.stemmer_ = stemmer
        corpus = bm25s.tokenize(
            [f"{p.name}. {p.description}" for p in partners], stopwords="fr", stemmer=stemmer, show_progress=False
        )
        self.model_ = bm25s.BM25()
        self.model_.index(corpus, show_progress=False)
        return self

    def rank_ids(self, descriptions: Sequence[str], k: int) -> list[list[str]]:
        bm25s, _ = _bm25_modules()
        out = []
        for text in descriptions:
            tokens = bm25s.tokenize(
                [text], stopwords="fr", stemmer=self.stemmer_, show_progress=False, return_ids=False
            )
            scores = self.model_.get_scores(tokens[0]) if tokens and tokens[0] else np.zeros(len(self.ids_))
            out.append([self.ids_[i] for i in np.argsort(-scores, kind="stable")[:k]])
        return out


def _bm25_modules():  # type: ignore[no-untyped-def]
    try:
        import bm25s
        import snowballstemmer
    except ImportError as error:
        raise ImportError("La comparaison BM25 demande bm25s et snowballstemmer : pip install -e '.[dev]'.") from error
    return bm25s, snowballstemmer.stemmer("french")


def baselines(analyzer: FrenchAnalyzer | None = None) -> list[Ranker]:
    """The standard lexical rankers of the ranking-quality issue."""
    lemmas = analyzer or FrenchAnalyzer()
    return [
        TfidfBaseline("TF-IDF, mots bruts"),
        TfidfBaseline("TF-IDF, lemmes spaCy", analyzer=lemmas),
        Bm25Baseline(),
        TfidfBaseline("TF-IDF, n-grammes de caractères 3–5", analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
    ]


def compare(
    rankers: Sequence[Ranker], partners: Sequence[Partner], projects: Mapping[str, str], labels: Labels, k: int = 5
) -> list[tuple[str, dict[str, float]]]:
    """Each ranker's scores on the same labelled projects."""
    ids, texts = list(projects), list(projects.values())
    rows = []
    for ranker in rankers:
        ranked = dict(zip(ids, ranker.fit(partners).rank_ids(texts, max(k, RANK_DEPTH))))
        rows.append((ranker.name, score(labels, ranked, k)))
    return rows


def seed_only(partners: Sequence[Partner]) -> list[Partner]:
    """The partners as the baselines see them: name and description only."""
    return [Partner(p.partner_id, p.name, p.description) for p in partners]


@dataclass(frozen=True)
class LabelledSet:
    """One evaluation set: projects with graded partners, and texts that no partner fits (either may be absent)."""

    name: str  # "short/tune"
    projects: Path | None
    labels: Path | None
    nofit_path: Path | None = None

    @property
    def kind(self) -> str:
        return self.name.split("/")[0]

    @property
    def split(self) -> str:
        return self.name.split("/")[-1]

    def read(self) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
        from .files import read_labels, read_projects

        if self.projects is None or self.labels is None:
            return {}, {}
        return read_projects(self.projects), read_labels(self.labels)

    def nofit(self) -> dict[str, str]:
        from .files import read_projects

        return read_projects(self.nofit_path) if self.nofit_path is not None else {}


def discover(root: Path = EVAL_DIR) -> list[LabelledSet]:
    """The sets under `root`: every folder holding projects.csv + labels.csv, or nofit.csv."""
    out = []
    for folder in sorted(p for p in root.rglob("*") if p.is_dir()):
        projects, labels, nofit = folder / "projects.csv", folder / "labels.csv", folder / "nofit.csv"
        has_labels = projects.exists() and labels.exists()
        if has_labels or nofit.exists():
            out.append(
                LabelledSet(
                    folder.relative_to(root).as_posix(),
                    projects if has_labels else None,
                    labels if has_labels else None,
                    nofit if nofit.exists() else None,
                )
            )
    return out


def shared_dev_set(folder: Path = SHARED_DEV) -> LabelledSet | None:
    """The shared development set, when it is present beside the repository."""
    projects, labels = folder / "dev_projects.csv", folder / "dev_labels.csv"
    return LabelledSet("dev/tune", projects, labels) if projects.exists() and labels.exists() else None


def tune_examples(root: Path = EVAL_DIR) -> list[tuple[str, str, int, str]]:
    """(description, partner_id, grade, set:project) of every labelled project of the tuning sets,
    in set and file order: what the engine learns from (`matcher/data/examples.csv`)."""
    out = []
    for labelled in discover(root):
        if labelled.split != "tune":
            continue
        projects, labels = labelled.read()
        for project, grades in labels.items():
            out += [
                (projects[project], partner, grade, f"{labelled.name}:{project}") for partner, grade in grades.items()
            ]
    return out


def write_examples(path: Path | None = None, root: Path = EVAL_DIR) -> int:
    """Write the tuning sets' judgements to the bundled examples file; return how many rows."""
    import csv

    from .catalogue import EXAMPLES

    rows = tune_examples(root)
    with open(path or Path(str(EXAMPLES)), "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["description", "partner_id", "grade", "source"])
        writer.writerows(rows)
    return len(rows)


def flagged(matcher: PartnerMatcher, texts: Iterable[str], k: int = 5) -> tuple[int, int]:
    """(texts flagged, texts): flagged means no proposal, or only "faible" ones among the first `k`
    (the search's status is then « correspondance faible »)."""
    results = held_out_search(matcher, texts, k)
    return sum(all(m.confidence == "faible" for m in r.matches) for r in results), len(results)


def evaluate_set(matcher: PartnerMatcher, labelled: LabelledSet, k: int = 5) -> dict[str, float]:
    """nDCG@k, hit@3, MRR and the projects count of a set's labelled part; no-fit texts flagged."""
    projects, labels = labelled.read()
    out: dict[str, float] = {}
    if projects:
        ranked = dict(zip(projects, MatcherRanker(matcher).rank_ids(list(projects.values()), RANK_DEPTH)))
        out.update(score(labels, ranked, k))
        out["learnt"] = matcher.learnt_from(projects.values())  # ranked held out, in folds
    nofit = labelled.nofit()
    if nofit:
        out["nofit_flagged"], out["nofit"] = flagged(matcher, nofit.values())
    return out


__all__ = [
    "score", "score_projects", "compare", "baselines", "MatcherRanker", "format_scores", "seed_only",
    "LabelledSet", "discover", "shared_dev_set", "flagged", "evaluate_set", "tune_examples",
    "write_examples", "held_out_search",
]  # fmt: skip
