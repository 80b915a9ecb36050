"""Results files and figure files."""

import csv
import json

import numpy as np
import pytest

from lstmlib.study import results
from lstmlib.study.results import read_results, save_figure, write_results


def test_results_file_round_trip_with_provenance(tmp_path):
    records = [{"trial": k, "sequences": np.int64(1000 * k), "solved": k > 0, "error": np.float32(0.5)}
               for k in range(3)]
    path = write_results(tmp_path, "noisy_recall", parameters={"T": 100, "scale": "default"},
                         records=records, summary={"solved": np.array([0, 1, 1])}, seed=7, wall_time=1.5)
    assert path == tmp_path / "noisy_recall.json"
    (doc,) = read_results(tmp_path)
    assert doc["chapter"] == "noisy_recall" and doc["seed"] == 7 and doc["wall_time_s"] == 1.5
    assert doc["parameters"] == {"T": 100, "scale": "default"}
    assert doc["records"][2] == {"trial": 2, "sequences": 2000, "solved": True, "error": 0.5}
    assert doc["summary"] == {"solved": [0, 1, 1]}
    prov = doc["provenance"]
    assert prov["lstmlib"] and prov["date"] and prov["versions"]["numpy"] == np.__version__
    assert prov["commit"] == "unknown" or len(prov["commit"].split("+")[0]) == 40


def test_non_finite_numbers_are_written_as_valid_json(tmp_path):
    path = write_results(tmp_path, "x", parameters={}, records=[{"loss": float("nan"), "big": np.inf}],
                         summary={}, seed=0, wall_time=0.0)
    assert json.loads(path.read_text())["records"] == [{"loss": None, "big": "inf"}]


def test_bad_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match="chapter"):
        write_results(tmp_path, "../escape", parameters={}, records=[], summary={}, seed=0, wall_time=0)
    with pytest.raises(ValueError, match="figure name"):
        save_figure(None, "a/b", {"x": [1]}, tmp_path)


def test_figure_is_saved_as_png_svg_and_csv(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    x, y = np.arange(5), np.arange(5) ** 2
    ax.plot(x, y)
    png, svg, csv_path = save_figure(fig, "fig-test", {"x": x, "y": y}, tmp_path / "figures")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text()
    with open(csv_path) as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["x", "y"] and rows[-1] == ["4", "16"]
    svg_again = save_figure(fig, "fig-test", {"x": x, "y": y}, tmp_path / "figures")[1]
    assert svg_again.read_text() == svg.read_text()  # stable files: no timestamp inside
    with pytest.raises(ValueError, match="equally long"):
        save_figure(fig, "fig-bad", {"x": x, "y": y[:3]}, tmp_path)
    plt.close(fig)


def test_scorecard_and_figure_index_read_every_results_file(tmp_path):
    row = {"chapter": "a", "experiment": "Exp. 4", "model": "LSTM 1997", "protocol": "p", "paper": "74,000",
           "ours": "10/10", "verdict": "reproduced", "scale": "default"}
    fig = {"label": "fig-a", "caption": "A figure.", "files": ["a.png", "a.svg", "a.csv"]}
    results.write_results(tmp_path, "b_chapter", parameters={}, records=[], summary={"scorecard": [row]}, seed=0,
                          wall_time=1.0)
    results.write_results(tmp_path, "a_chapter", parameters={}, records=[], seed=0, wall_time=1.0,
                          summary={"scorecard": [row, {**row, "experiment": "Exp. 5"}], "figures": [fig]})
    rows = results.scorecard(tmp_path)
    assert [r["experiment"] for r in rows] == ["Exp. 4", "Exp. 5", "Exp. 4"]  # files in chapter order
    assert all(r["commit"] and r["date"] for r in rows)
    assert results.figure_index(tmp_path) == [{"chapter": "a_chapter", **fig}]


def test_relative_paths_resolve_against_the_project_root(tmp_path):
    (tmp_path / "_toc.yml").write_text("root: intro\n")
    (tmp_path / "notebooks").mkdir()
    assert results.project_root(tmp_path / "notebooks") == tmp_path
    assert results.resolve_path("_build/results", tmp_path / "notebooks") == tmp_path / "_build" / "results"
    assert results.resolve_path(tmp_path / "x", tmp_path / "notebooks") == tmp_path / "x"


def test_paths_are_shown_relative_to_the_project_root(tmp_path):
    (tmp_path / "_toc.yml").write_text("root: intro\n")
    (tmp_path / "notebooks").mkdir()
    inside = results.resolve_path("_build/results/c.json", tmp_path / "notebooks")
    assert results.shown_path(inside, tmp_path / "notebooks") == "_build/results/c.json"
    outside = tmp_path.parent / "elsewhere" / "c.json"  # a folder the reader chose: shown as given
    assert results.shown_path(outside, tmp_path / "notebooks") == str(outside)


def test_provenance_taken_at_the_start_of_a_run_is_kept(tmp_path):
    start = {**results.provenance(), "commit": "0123456789ab"}
    results.write_results(tmp_path, "c", parameters={}, records=[], summary={}, seed=0, wall_time=1.0,
                          run_provenance=start)
    assert results.read_results(tmp_path)[0]["provenance"]["commit"] == "0123456789ab"


def test_check_output_dirs_creates_and_rejects(tmp_path):
    from lstmlib.study.results import check_output_dirs
    a, b = check_output_dirs(tmp_path / "r", tmp_path / "f" / "g")
    assert a.is_dir() and b.is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="cannot create the folder"):
        check_output_dirs(tmp_path / "file" / "sub")


def test_figure_exporter_saves_glues_and_lists(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lstmlib.study.results import FigureExporter
    glued = {}
    export = FigureExporter(tmp_path, {"my_fig": "A caption."}, glue=lambda k, v, display: glued.update({k: v}))
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    export(fig, {"x": [0, 1], "y": [1, 0]}, "my_fig")
    assert list(glued) == ["cap_my_fig", "fig_my_fig", "files_my_fig"]
    assert glued["files_my_fig"].data == ('Label `fig-my-fig`; files: <a href="../figures/my_fig.png">PNG</a> · '
                                          '<a href="../figures/my_fig.svg">SVG</a> · '
                                          '<a href="../figures/my_fig.csv">CSV</a>')
    assert export.figures == [{"label": "fig-my-fig", "caption": "A caption.",
                               "files": ["my_fig.png", "my_fig.svg", "my_fig.csv"]}]
    assert (tmp_path / "my_fig.csv").read_text().splitlines()[0] == "x,y"
    assert not plt.fignum_exists(fig.number)
    with pytest.raises(ValueError, match="no caption"):
        export(plt.figure(), {"x": [1]}, "other")


def test_figure_index_follows_the_books_order_and_the_table_shows_thumbnails(tmp_path):
    for chapter, names in (("a_first_by_name", ["z"]), ("timing", ["t1", "t2"]), ("noisy_recall", ["n"])):
        figs = [{"label": f"fig-{n}", "caption": f"{n} | caption", "files": [f"{n}.png", f"{n}.svg", f"{n}.csv"]}
                for n in names]
        results.write_results(tmp_path, chapter, parameters={}, records=[], summary={"figures": figs}, seed=0,
                              wall_time=1.0)
    figures = results.figure_index(tmp_path, chapters=("noisy_recall", "timing"))
    assert [f["label"] for f in figures] == ["fig-n", "fig-t1", "fig-t2", "fig-z"]
    table = results.figure_table(figures, "../figures").splitlines()
    assert len(table) == 6 and table[2].startswith('| <img src="../figures/n.png" alt="fig-n" width="120"> | ')
    assert "{numref}`fig-n`" in table[2] and "n \\| caption" in table[2]
    assert '<a href="../figures/n.csv">n.csv</a>' in table[2]
