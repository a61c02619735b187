"""How often a partner proposed at each confidence level is relevant, measured on the labelled sets.

The app explains « forte », « moyenne » and « faible » with these shares. They are measured,
not chosen: every proposal of the tuning sets (`data/eval/*/tune` and the shared
development set, `../shared/eval`) at RELIABILITY_K results, searched held out where the
engine learnt from them (`evaluation.held_out_search`), graded by the labels (grade
≥ 1 is relevant, an unlisted partner is grade 0), and every proposal made for a no-fit
text (counted as not relevant). When the ranking or the confidence cut-offs change,
refresh RELIABILITY with the figures printed by

    .venv/bin/python -m matcher.reliability

(`tests/test_presentation.py` fails when the constant drifts from a fresh measure).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from .confidence import LEVELS

if TYPE_CHECKING:  # pragma: no cover
    from .evaluation import LabelledSet
    from .index import PartnerMatcher

# Share of the proposals at each level that are relevant (measured 2026-12-03, 1,581 proposals, held out;
# moyenne 0.495 with the shared dev set, 0.522 without it, as on a clone where it is absent).
RELIABILITY: Mapping[str, float] = MappingProxyType({"forte": 0.89, "moyenne": 0.50, "faible": 0.16})
RELIABILITY_K = 5  # results per description when measuring: the app's default
TOLERANCE = 0.03  # how far the constant may drift from a fresh measure


@dataclass(frozen=True)
class LevelCount:
    """Proposals at one confidence level, and how many of them were relevant."""

    proposed: int = 0
    relevant: int = 0

    @property
    def share(self) -> float:
        return self.relevant / self.proposed if self.proposed else 0.0


def measure(matcher: PartnerMatcher, sets: Iterable[LabelledSet], k: int = RELIABILITY_K) -> dict[str, LevelCount]:
    """Per level, the proposals made for the sets' projects and no-fit texts, and the relevant ones."""
    from .evaluation import held_out_search

    counts = {level: [0, 0] for level in LEVELS}
    for labelled in sets:
        projects, labels = labelled.read()
        for pid, result in zip(projects, held_out_search(matcher, projects.values(), k)):
            for m in result.matches:
                counts[m.confidence][0] += 1
                counts[m.confidence][1] += labels[pid].get(m.partner_id, 0) >= 1
        for result in held_out_search(matcher, labelled.nofit().values(), k):
            for m in result.matches:
                counts[m.confidence][0] += 1
    return {level: LevelCount(proposed, relevant) for level, (proposed, relevant) in counts.items()}


def tuning_sets() -> list[LabelledSet]:
    """The sets the figures are measured on: every `tune` split, and the shared development set if present."""
    from .evaluation import discover, shared_dev_set

    return [s for s in discover() if s.split == "tune"] + [s for s in [shared_dev_set()] if s is not None]


def main(argv: Sequence[str] | None = None) -> int:
    from .index import PartnerMatcher

    counts = measure(PartnerMatcher.from_csv(), tuning_sets())
    for level, count in counts.items():
        print(f"{level}: {count.relevant} / {count.proposed} = {count.share:.3f}", file=sys.stderr)
    total = sum(c.proposed for c in counts.values())
    figures = ", ".join(f'"{level}": {count.share:.2f}' for level, count in counts.items())
    print(f"# ({total:,} proposals)\nRELIABILITY = MappingProxyType({{{figures}}})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
