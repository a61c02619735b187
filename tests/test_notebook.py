"""The exploration notebook runs top to bottom on a fresh kernel, and its committed outputs are current."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
REBUILD = "regenerate it with: .venv/bin/python notebooks/build_notebook.py"
TEXT_TYPES = ("text/plain", "text/markdown")


def _load_builder():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("build_notebook", NOTEBOOKS / "build_notebook.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _load_builder()


@pytest.fixture(scope="module")
def committed() -> nbformat.NotebookNode:
    return nbformat.read(builder.NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def fresh(committed: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of the committed notebook, outputs cleared, executed on a new kernel."""
    nb = copy.deepcopy(committed)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    builder.execute(nb)  # raises CellExecutionError, with the cell and traceback, on any error
    return nb


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def texts(cell: nbformat.NotebookNode) -> list[tuple[str, ...]]:
    """What a reader sees of a cell's outputs as text; images count by kind only (pixels vary by platform)."""
    out: list[tuple[str, ...]] = []
    for output in cell.outputs:
        if output.output_type == "stream":
            out.append(("stream", output.name, output.text))
        elif output.output_type in ("display_data", "execute_result"):
            data = output.get("data", {})
            out += [(kind, data[kind]) for kind in TEXT_TYPES if kind in data]
            out += [(kind,) for kind in sorted(data) if kind.startswith("image/")]
        else:
            out.append((output.output_type, output.get("ename", ""), output.get("evalue", "")))
    return out


def test_kernel_runs_in_this_environment() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.prefix)"))
    builder.execute(nb, timeout=60)
    assert nb.cells[0].outputs[0].text.strip() == sys.prefix


def test_cells_are_those_of_the_build_script(committed: nbformat.NotebookNode) -> None:
    expected = [(cell.cell_type, cell.source) for cell in builder.build().cells]
    assert [(cell.cell_type, cell.source) for cell in committed.cells] == expected, REBUILD


def test_committed_notebook_was_run_top_to_bottom(committed: nbformat.NotebookNode) -> None:
    cells = code_cells(committed)
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1)), REBUILD
    empty = [cell.id for cell in cells if not cell.outputs]
    assert not empty, f"code cells without outputs: {empty}; {REBUILD}"


def test_fresh_run_is_quiet(fresh: nbformat.NotebookNode) -> None:
    nb = fresh
    noisy = [(cell.id, out.text) for cell in code_cells(nb) for out in cell.outputs if out.get("name") == "stderr"]
    assert not noisy, f"warnings or errors printed: {noisy}"


def test_committed_outputs_match_a_fresh_run(committed: nbformat.NotebookNode, fresh: nbformat.NotebookNode) -> None:
    for old, new in zip(code_cells(committed), code_cells(fresh)):
        assert texts(old) == texts(new), f"outputs of {old.id} changed:\n{old.source[:200]}\n\n{REBUILD}"
