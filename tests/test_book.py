"""The book's sources: chapters committed without outputs, a parameters cell first, pages in execution order."""

from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("summary/*.ipynb"))


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        files += [c["file"] for c in part["chapters"]]
    return files


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs_and_has_a_parameters_cell_first(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "strip outputs"
    assert "parameters" in code[0].metadata.get("tags", []), "the first code cell must be tagged 'parameters'"


def test_every_notebook_is_in_the_toc_and_exists():
    files = toc_files()
    for f in files:
        assert any((ROOT / f"{f}{ext}").is_file() for ext in (".md", ".ipynb")), f
    for nb in NOTEBOOKS:
        assert str(nb.relative_to(ROOT).with_suffix("")) in files


def test_pages_that_read_results_are_executed_after_the_chapters_that_write_them():
    import sys
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import summary_last
    files = toc_files()
    order = list(reversed(files))
    summary_last._summaries_last(None, None, order)
    last_chapter = max(i for i, f in enumerate(order) if not f.startswith("summary/"))
    assert all(f.startswith("summary/") for f in order[last_chapter + 1:]) and order[-1].startswith("summary/")
    for path in ROOT.glob("summary/*.ipynb"):  # re-executed on every build, since the results may have changed
        assert nbformat.read(path, as_version=4).metadata["mystnb"]["execution_mode"] == "force"
    assert "summary_last" in (ROOT / "_config.yml").read_text()
