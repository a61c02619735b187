"""Shared fixtures: the index is built once per test session (about 4 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher import PartnerMatcher

ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def matcher() -> PartnerMatcher:
    return PartnerMatcher.from_csv()
