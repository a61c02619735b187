"""Fit the confidence cut-offs by cross-validation on the tuning sets, and report them held out.

Every proposal of the tuning sets (dev, and the `tune` split of each kind in data/eval)
is recorded with its score, the share of the description it explains, whether it rests
on a word of the user's own, and its grade; every no-fit text with its first five proposals.
The cut-offs are chosen on a grid: among those that flag at least 90 % of the no-fit
texts (no proposal, or only "faible" ones among the first five) and keep "forte" proposals at least 85 % relevant, the
ones that give the most projects a clearly relevant partner (grade 2) at "moyenne" or
"forte"; ties go to fewer irrelevant proposals at "moyenne" or above.

`--folds 5` fits on four fifths of the projects and measures the fifth, five times;
the README quotes those held-out figures, then the cut-offs fitted on everything, measured
again on the held-out sets (never used here).

    .venv/bin/python benchmarks/calibrate.py
"""

from __future__ import annotations

import argparse
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from matcher import PartnerMatcher
from matcher.confidence import FAIBLE, FORTE, MOYENNE, Evidence, Thresholds, unknown_head
from matcher.evaluation import RANK_DEPTH, LabelledSet, discover, held_out_search, shared_dev_set
from matcher.reliability import RELIABILITY_K

GRID = {
    "moyenne": (0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.18),
    "forte": (0.16, 0.20, 0.24, 0.28, 0.32, 0.36),
    "moyenne_coverage": (0.0, 0.1, 0.2, 0.3, 0.4),
    "forte_coverage": (0.0, 0.2, 0.3, 0.4, 0.5),
}
NOFIT_FLAGGED = 0.90
FORTE_RELEVANT = 0.85


@dataclass(frozen=True)
class Record:
    project: str
    score: float
    coverage: float
    direct: bool
    grade: int | None  # None: the best proposal for a no-fit text
    unknown_head: bool = False


def records(matcher: PartnerMatcher, sets: Sequence[LabelledSet]) -> list[Record]:
    """Every proposal of the labelled projects, and the best one of each no-fit text, with its evidence."""
    out = []
    for s in sets:
        projects, labels = s.read()
        nofit = s.nofit()
        for texts, depth, grades in ((projects, RANK_DEPTH, labels), (nofit, RELIABILITY_K, None)):
            for pid, result in zip(texts, held_out_search(matcher, texts.values(), depth)):
                head = unknown_head(result.analysis.terms, result.analysis.words)
                for m in result.matches:
                    grade = grades[pid].get(m.partner_id, 0) if grades is not None else None
                    out.append(Record(f"{s.name}:{pid}", m.lexical_score, m.coverage, m.own_words, grade, head))
    return out


def objective(thresholds: Thresholds, rows: Sequence[Record]) -> tuple[float, float] | None:
    """(projects with a grade-2 partner at moyenne or above, minus irrelevant confident proposals), or None
    when the constraints fail."""
    m = measures(thresholds, rows)
    if m["nofit_flagged"] < NOFIT_FLAGGED or (m["forte_n"] and m["forte_relevant"] < FORTE_RELEVANT):
        return None
    return m["projects_confident"], -m["irrelevant_confident"]


def fit(rows: Sequence[Record], base: Thresholds) -> Thresholds:
    best = None
    for values in itertools.product(*GRID.values()):
        candidate = replace(base, **dict(zip(GRID, values)))
        if candidate.forte <= candidate.moyenne:
            continue
        value = objective(candidate, rows)
        if value is not None and (best is None or value > best[0]):
            best = (value, candidate)
    return best[1] if best is not None else base


def measures(thresholds: Thresholds, rows: Sequence[Record]) -> dict[str, float]:
    """Reliability per level (share of grade ≥ 1 and of grade 2), grade-2 found confident, no-fit flagged."""
    by_level: dict[str, list[int]] = {FORTE: [], MOYENNE: [], FAIBLE: []}
    clear = confident = irrelevant = 0
    projects: dict[str, bool] = {}  # project -> its best-ranked grade-2 partner is confident
    unclear: dict[str, bool] = {}  # no-fit text with a proposal -> all its proposals are "faible"
    for r in rows:
        level = thresholds.level(r.score, Evidence(r.coverage, r.direct, r.unknown_head))
        if r.grade is None:
            unclear[r.project] = unclear.get(r.project, True) and level == FAIBLE
            continue
        by_level[level].append(r.grade)
        irrelevant += r.grade == 0 and level != FAIBLE
        if r.grade == 2:
            clear += 1
            confident += level != FAIBLE
            projects.setdefault(r.project, level != FAIBLE)
    nofit, flagged = len(unclear), sum(unclear.values())
    out: dict[str, float] = {"nofit_texts_with_a_proposal": nofit, "nofit_flagged": flagged / nofit if nofit else 1.0}
    out["grade2_confident"] = confident / clear if clear else 0.0
    out["projects_confident"] = sum(projects.values()) / len(projects) if projects else 0.0
    out["irrelevant_confident"] = irrelevant
    for level, grades in by_level.items():
        out[f"{level}_n"] = len(grades)
        out[f"{level}_relevant"] = sum(g >= 1 for g in grades) / len(grades) if grades else 0.0
        out[f"{level}_clear"] = sum(g == 2 for g in grades) / len(grades) if grades else 0.0
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    matcher = PartnerMatcher.from_csv()
    tune = [s for s in discover() if s.split == "tune"] + [s for s in [shared_dev_set()] if s is not None]
    held = [s for s in discover() if s.split != "tune"]  # holdout and fresh: never tuned on
    rows = records(matcher, tune)
    projects = sorted({r.project for r in rows})
    random.Random(args.seed).shuffle(projects)
    folds = [set(projects[i :: args.folds]) for i in range(args.folds)]
    held_out: list[Record] = []
    chosen = []
    for fold in folds:
        fitted = fit([r for r in rows if r.project not in fold], matcher.thresholds_)
        chosen.append(fitted)
        held_out += [r for r in rows if r.project in fold]
        print(f"fold: {fitted}")
    # held-out figures: each fold's records measured with the cut-offs fitted without them
    pooled = {k: 0.0 for k in measures(matcher.thresholds_, rows)}
    per_fold = [measures(t, [r for r in rows if r.project in f]) for t, f in zip(chosen, folds)]
    for key in pooled:
        pooled[key] = sum(m[key] for m in per_fold) / len(per_fold)
    final = fit(rows, matcher.thresholds_)
    print(f"\nfitted on all tuning sets: {final}")
    print("\n| measure | held-out folds (mean) | fitted cut-offs on the tuning sets | held-out sets |")
    print("|---|---|---|---|")
    on_tune, on_held = measures(final, rows), measures(final, records(matcher, held))
    for key in pooled:
        print(f"| {key} | {pooled[key]:.3f} | {on_tune[key]:.3f} | {on_held[key]:.3f} |")


if __name__ == "__main__":
    main()
