"""Does learning from référents' judgements help? Simulated on the labelled sets, measured held out.

For each of `--splits` random splits (the same for every variant), half of the labelled
projects play the référents: each is searched, and each of its five proposals is judged
as a référent would judge it from the labels (grade 2 « Utile », grade 0 « Pas pertinent »,
grade 1 no vote). The matcher learns from the first N judgements (N = 0, 25, 50, 100, 200)
and from none of the bundled judged projects that are in the simulation (the bundled ones
are the tune sets' labels: the référents' half would be learnt from twice, the measuring half
would be scored with its own labels); the other half of the projects measures nDCG@5 and hit@3.

    .venv/bin/python benchmarks/learning.py            # a Markdown table
"""

from __future__ import annotations

import argparse
import random
import statistics
from collections.abc import Sequence

from matcher import PartnerMatcher
from matcher.evaluation import RANK_DEPTH, MatcherRanker, discover, score, shared_dev_set
from matcher.files import read_catalogue, read_examples

COUNTS = (0, 25, 50, 100, 200)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--sets", default="tune", help="tune or holdout")
    args = parser.parse_args(argv)
    sets = [s for s in discover() if s.split == args.sets and s.projects is not None]
    if args.sets == "tune" and shared_dev_set() is not None:
        sets.append(shared_dev_set())
    projects: dict[str, str] = {}
    labels: dict[str, dict[str, int]] = {}
    for labelled in sets:
        p, l_ = labelled.read()
        projects.update({f"{labelled.name}:{k}": v for k, v in p.items()})
        labels.update({f"{labelled.name}:{k}": v for k, v in l_.items()})
    partners = read_catalogue()
    pool = {t.strip() for t in projects.values()}
    kept = [e for e in read_examples() if e[0].strip() not in pool]
    engine = PartnerMatcher.from_partners(partners, examples=kept)  # shows the simulated référents their proposals
    results: dict[int, list[tuple[float, float]]] = {n: [] for n in COUNTS}
    for split in range(args.splits):
        ids = sorted(projects)
        random.Random(split).shuffle(ids)
        feedback, held = ids[: len(ids) // 2], ids[len(ids) // 2 :]
        judgements = []
        for pid, result in zip(feedback, engine.search_many([projects[p] for p in feedback], 5)):
            for m in result.matches:
                grade = labels[pid].get(m.partner_id, 0)
                if grade != 1:
                    judgements.append((projects[pid], m.partner_id, grade))
        random.Random(100 + split).shuffle(judgements)
        held_projects = {p: projects[p] for p in held}
        held_labels = {p: labels[p] for p in held}
        held_texts = {t.strip() for t in held_projects.values()}
        for n in COUNTS:
            judged = (*kept, *(j for j in judgements[:n] if j[0].strip() not in held_texts))
            matcher = PartnerMatcher.from_partners(partners, examples=judged, cache=False)
            ranked = dict(zip(held, MatcherRanker(matcher).rank_ids(list(held_projects.values()), RANK_DEPTH)))
            s = score(held_labels, ranked, 5)
            results[n].append((s["ndcg@5"], s["hit@3"]))
            print(f"split {split}, {n} judgements: nDCG@5 {s['ndcg@5']:.3f} hit@3 {s['hit@3']:.3f}", flush=True)
    print(f"\n| judgements | nDCG@5 (mean of {args.splits} splits) | hit@3 |")
    print("|---|---|---|")
    for n in COUNTS:
        print(
            f"| {n} | {statistics.fmean(x[0] for x in results[n]):.3f} | {statistics.fmean(x[1] for x in results[n]):.3f} |"
        )


if __name__ == "__main__":
    main()
