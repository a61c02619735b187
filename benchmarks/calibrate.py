"""Calibrate the confidence thresholds on the labelled and off-topic projects.

Prints, for candidate cut-offs, how many clearly relevant (grade 2) and irrelevant
(grade 0) proposals score above them, and how the current levels behave.
Usage: python benchmarks/calibrate.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from matcher import PartnerMatcher
from matcher.evaluation import RANK_DEPTH
from matcher.files import read_labels, read_projects

ROOT = Path(__file__).resolve().parent.parent
SETS = [
    (ROOT / "data/eval/paragraphs/tune/projects.csv", ROOT / "data/eval/paragraphs/tune/labels.csv"),
    (ROOT.parent / "shared/eval/dev_projects.csv", ROOT.parent / "shared/eval/dev_labels.csv"),
]


def main() -> None:
    matcher = PartnerMatcher.from_csv()
    relevant, irrelevant, best_relevant = [], [], []
    projects_seen = 0
    for projects_csv, labels_csv in SETS:
        if not labels_csv.exists():
            continue
        projects, labels = read_projects(projects_csv), read_labels(labels_csv)
        for pid, result in zip(projects, matcher.search_many(list(projects.values()), RANK_DEPTH)):
            projects_seen += 1
            grades = labels[pid]
            for m in result.matches:
                grade = grades.get(m.partner_id, 0)
                if grade == 2:
                    relevant.append(m.score)
                elif grade == 0:
                    irrelevant.append(m.score)
            top = max(grades.values())
            best_relevant.append(next((m.score for m in result.matches if grades.get(m.partner_id, 0) == top), 0.0))
    rel, irr, best = np.array(relevant), np.array(irrelevant), np.array(best_relevant)
    print(f"{projects_seen} labelled projects; {len(rel)} grade-2 and {len(irr)} grade-0 proposals in the top {RANK_DEPTH}")
    print("| cut-off | grade-2 above | grade-0 above | precision above | projects whose best partner is above |")
    print("|---|---|---|---|---|")
    for cut in (0.04, 0.06, 0.08, 0.10, 0.12, 0.15, 0.20, 0.25, 0.30):
        above_rel, above_irr = int(np.sum(rel >= cut)), int(np.sum(irr >= cut))
        precision = above_rel / max(above_rel + above_irr, 1)
        print(f"| {cut:.2f} | {above_rel / len(rel):.0%} | {above_irr / len(irr):.0%} | {precision:.0%} | {np.mean(best >= cut):.0%} |")

    offtopic = read_projects(ROOT / "data/eval/offtopic.csv")
    levels = []
    for result in matcher.search_many(list(offtopic.values()), 1):
        levels.append(result.matches[0].confidence if result.matches else "aucun")
    counts = {level: levels.count(level) for level in ("aucun", "faible", "moyenne", "forte")}
    print(f"\nOff-topic descriptions ({len(levels)}), top match confidence: {counts}")
    print(f"Current thresholds: {matcher.thresholds}")


if __name__ == "__main__":
    main()
