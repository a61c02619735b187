"""The README's Python example runs and prints what it says."""

from __future__ import annotations

import contextlib
import io
import re

from .conftest import ROOT


def test_readme_python_example_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0] == "biblionef forte"
    assert lines[1].startswith("Correspond sur : lecture")
    assert "«lecture»" in lines[2]
    assert lines[3] == "aucun mot exploitable"
    assert lines[4].startswith("Aucun partenaire ne correspond clairement : les mots")
