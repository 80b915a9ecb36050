"""The book's sources: chapters committed without outputs, a parameters cell first, pages in execution order."""

import re
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


def _check_book():
    import importlib.util
    spec = importlib.util.spec_from_file_location("check_book", ROOT / "scripts" / "check_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_built_page_check_finds_machine_paths_and_a_missing_style_sheet(tmp_path):
    check = _check_book()
    good = '<link rel="stylesheet" href="_static/lstm-study.css?v=1"><p>wrote _build/results/c.json</p>'
    assert check.page_problems(good, "/work/main") == []
    leaks = good + "<pre>results -&gt; /tmp/ci/c/_build/results</pre><p>/work/main/notebooks</p>"
    (problem,) = check.page_problems(leaks, "/work/main")
    assert "/tmp/ci/c/_build/results" in problem and "/work/main" in problem
    assert check.page_problems("<p>x</p>") == ["the style sheet lstm-study.css is not linked"]
    assert check.page_problems('<meta http-equiv="Refresh" content="0; url=book/intro.html">') == []
    assert check.page_problems(good + "<script>var p = '/tmp/x/y';</script>") == []  # page code, not text
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "a.html").write_text(leaks)
    (tmp_path / "search.html").write_text("<p>/tmp/a/b</p>")  # Sphinx's own pages are not checked
    assert {p.split(":")[0] for p in check.book_problems(tmp_path, "/work/main")} == {"notebooks/a.html"}
    assert check.main([str(tmp_path)]) == 1


def test_the_book_links_its_style_sheet():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    assert "lstm-study.css" in config["html_css_files"]
    css = (ROOT / config["html_static_path"][0] / "lstm-study.css").read_text()
    assert re.search(r"span\.pasted-text\s*{\s*font-weight:\s*normal", css)
    assert "overflow-x: auto" in css


def test_the_citation_metadata_agree_with_the_library_version():
    import lstmlib
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    intro = (ROOT / "book" / "intro.md").read_text()
    (bib_version,) = re.findall(r"version\s*=\s*\{([^}]*)\}", intro)
    assert cff["version"] == bib_version == lstmlib.__version__


def test_the_coverage_table_links_every_chapter():
    intro = (ROOT / "book" / "intro.md").read_text()
    table = intro[intro.index("(coverage)="):intro.index("(cite-this)=")]
    for path in sorted(ROOT.glob("notebooks/*.ipynb")):
        label = nbformat.read(path, as_version=4).cells[0].source.splitlines()[0]  # "(noisy-recall)="
        assert label.startswith("(") and f"{{ref}}`{label[1:-2]}`" in table, path.name
    from lstmlib.papers import NOT_ATTEMPTED
    not_attempted = [": ".join(c.strip() for c in line.split("|")[2:4]) for line in table.splitlines()
                     if "| not attempted yet |" in line]
    assert sorted(not_attempted) == sorted(experiment for _, experiment, _ in NOT_ATTEMPTED)  # the scorecard's rows


def test_built_page_check_finds_cut_off_tables_scattered_progress_and_unrendered_maths():
    check = _check_book()
    scroll = '<div class="pst-scrollable-table-container"><table><tr><td>1</td></tr></table></div>'
    output = '<div class="cell_output"><div class="output text_html"><table><tr><td>1</td></tr></table></div></div>'
    progress = ('<div class="cell tag_hide-output"><div class="cell_output"><div class="output stream">'
                '<pre>[    2.0s] done a/b: 1/2 solved</pre></div></div></div>')
    plain = '<div class="output stream"><pre>wrote _build/results/c.json</pre></div>'
    assert check.layout_problems(scroll + output + progress + plain) == []
    assert check.layout_problems("<div><table></table></div>") == [
        "1 table(s) outside a scrolling container: cut off on a narrow page"]
    shown = progress.replace("tag_hide-output", "tag_hide-input")
    assert check.layout_problems(shown) == ["progress lines in a cell whose output is not hidden (tag it hide-output)"]
    assert check.layout_problems(progress + progress) == [
        "progress in 2 output blocks (one is the most a page may show)"]
    maths = '<span class="math notranslate nohighlight">\\(x\\)</span>'
    assert check.layout_problems(maths) == ["maths on the page but no MathJax loaded: it shows as raw LaTeX"]
    assert check.layout_problems(maths + '<script defer="defer" src="../_static/mathjax/tex-chtml.js"></script>') == []


def test_built_page_check_finds_links_to_missing_files(tmp_path):
    check = _check_book()
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "a.png").write_text("png")
    (tmp_path / "notebooks").mkdir()
    page = tmp_path / "notebooks" / "c.html"
    html = ('<img src="../figures/a.png"><a href="../figures/a.svg">SVG</a><a href="https://x.org/y">web</a>'
            '<a href="#top">top</a><a href="c.html#s">self</a><pre><a href="../nowhere">code</a></pre>')
    page.write_text(f'<link href="lstm-study.css">{html}')
    (tmp_path / "notebooks" / "lstm-study.css").write_text("")
    assert check.broken_links(html, page) == ["../figures/a.svg"]
    (problem,) = check.book_problems(tmp_path)
    assert problem.startswith("notebooks/c.html: links to missing files")


def test_the_results_files_are_published_with_the_book(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("publish_results", ROOT / "book" / "_ext" / "publish_results.py")
    publish = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(publish)
    (tmp_path / "_build" / "results").mkdir(parents=True)
    (tmp_path / "_build" / "results" / "timing.json").write_text("{}")
    copied = publish.publish(tmp_path, tmp_path / "_build" / "html")
    assert copied == [tmp_path / "_build" / "html" / "results" / "timing.json"] and copied[0].read_text() == "{}"
    assert "publish_results" in yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["local_extensions"]
    for path in sorted(ROOT.glob("notebooks/*.ipynb")):  # every chapter links its own results file
        assert f'href="../results/{path.stem}.json"' in nbformat.read(path, as_version=4).cells[0].source


def test_maths_renders_offline(tmp_path):
    check = _check_book()
    cdn = '<link href="lstm-study.css"><script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>'
    assert check.page_problems(cdn) == ["MathJax is loaded from a CDN: the maths shows as raw LaTeX offline"]
    assert check.page_problems('<link href="lstm-study.css"><script src="../_static/mathjax/tex-chtml.js">') == []
    import importlib.util
    spec = importlib.util.spec_from_file_location("offline_math", ROOT / "book" / "_ext" / "offline_math.py")
    offline = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(offline)
    entry = offline.copy(tmp_path)  # from the pinned django-static-mathjax package
    assert entry == tmp_path / "_static" / "mathjax" / "tex-chtml.js" and entry.stat().st_size > 100_000
    assert (tmp_path / "_static" / "mathjax" / "output" / "chtml" / "fonts").is_dir()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]
    assert config["config"]["mathjax_path"] == "mathjax/" + offline.ENTRY
    assert "offline_math" in config["local_extensions"]
    with pytest.raises(FileNotFoundError, match="tex-chtml.js"):
        offline.copy(tmp_path / "other", src=tmp_path / "empty")


def test_the_landing_page_shows_the_scorecards_summary_figure():
    intro = (ROOT / "book" / "intro.md").read_text()
    assert '<img src="../figures/scorecard_ratios.png"' in intro  # check_book.py fails the build if it is missing
    page = nbformat.read(ROOT / "summary" / "scorecard.ipynb", as_version=4)
    code = "\n".join(c.source for c in page.cells if c.cell_type == "code")
    assert '"scorecard_ratios")' in code and "{glue:figure} fig_scorecard_ratios" in "\n".join(
        c.source for c in page.cells if c.cell_type == "markdown")
