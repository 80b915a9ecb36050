"""The chapter-independent job machinery of lstmlib.study.jobs: the common job base, its checks, seeds
and learning curves (the chapters' own jobs are tested in test_<bibkey>_jobs.py)."""

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest

from lstmlib.study.jobs import ChapterJob, check_arch, check_jobs, derive_seed, downsample_curve


@dataclass(frozen=True)
class ToyJob(ChapterJob):
    n_test: int = 5

    def cost(self):
        return self.trials * self.budget

    def check(self):
        super().check(n_test=self.n_test)

    def run(self, progress=None):
        return {"job": self.name}


ROW = SimpleNamespace(key="row")


def test_chapter_job_checks_the_architecture_and_every_count():
    ToyJob(ROW, "peephole", 2, 10).check()
    for bad, match in ((dict(arch="lstm"), "unknown architecture 'lstm'"), (dict(trials=0), "trials"),
                       (dict(budget=2.5), "budget"), (dict(n_test=-1), "n_test")):
        with pytest.raises(ValueError, match=match):
            ToyJob(**{**dict(protocol=ROW, arch="vanilla", trials=2, budget=10), **bad}).check()


def test_a_job_class_can_narrow_its_architectures():
    @dataclass(frozen=True)
    class Narrow(ToyJob):
        architectures = ("rnn", "forget")

    Narrow(ROW, "forget", 1, 1).check()
    with pytest.raises(ValueError, match=r"valid: \['forget', 'rnn'\]"):
        Narrow(ROW, "peephole", 1, 1).check()
    assert check_arch("nfg", ("nfg",)) == "nfg"
    with pytest.raises(ValueError, match="unknown architecture"):
        check_arch(None)


def test_check_jobs_refuses_non_jobs_and_duplicate_names():
    check_jobs([ToyJob(ROW, "rnn", 1, 1), ToyJob(ROW, "vanilla", 1, 1)])
    with pytest.raises(ValueError, match="expected a job"):
        check_jobs([object()])
    with pytest.raises(ValueError, match="duplicate jobs"):
        check_jobs([ToyJob(ROW, "rnn", 1, 1), ToyJob(ROW, "rnn", 2, 3)])


def test_derived_seeds_depend_on_every_part_and_nothing_else():
    assert derive_seed(0, "row", "rnn", "init") == derive_seed(0, "row", "rnn", "init")
    seeds = {derive_seed(s, r, a, "init") for s in (0, 1) for r in ("a", "b") for a in ("rnn", "vanilla")}
    assert len(seeds) == 8


def test_downsampled_curve_has_at_most_the_points_asked_for_and_ends_at_the_last_sequence():
    seen = np.arange(0, 1001, 10)
    curve = downsample_curve(seen, np.linspace(1, 0, seen.size), np.linspace(0, 1, seen.size), 20)
    assert len(curve) <= 20 and curve[-1][0] == 1000 and curve[0][0] > 0
    assert downsample_curve([0, 0], [1.0, 1.0], [0.0, 0.0], 5) == []


@dataclass(frozen=True)
class TrainedJob(ToyJob):
    def run(self, progress=None):
        return {"job": self.name, "wall_time_s": 0.5,
                "trials": [{"status": "solved", "sequences": 100}, {"status": "budget", "sequences": None}]}


@dataclass(frozen=True)
class BudgetJob(TrainedJob):
    solvable = False  # e.g. the weight-growth runs: nothing to solve

    def run(self, progress=None):
        return {"job": self.name, "wall_time_s": 0.5, "trials": [{"status": "budget"}] * 2}


class MeasureOnlyJob(TrainedJob):
    solvable = False  # a measurement: no trials at all

    def run(self, progress=None):
        return {"job": self.name, "wall_time_s": 0.5, "trials": []}


def test_progress_lines_count_solved_trials_or_say_there_is_nothing_to_solve():
    from lstmlib.study.jobs import run_jobs
    lines = []
    records = run_jobs([TrainedJob(ROW, "rnn", 2, 10), BudgetJob(ROW, "vanilla", 2, 400),
                        MeasureOnlyJob(ROW, "forget", 1, 1)], workers=1, progress=lines.append)
    assert [r["job"] for r in records] == ["row/rnn", "row/vanilla", "row/forget"]
    assert any(line.endswith("done row/rnn: 1/2 solved, median 100 sequences (0.5 s)") for line in lines)
    assert any(line.endswith("done row/vanilla: 2 trials, 400 sequences each (0.5 s)") for line in lines)
    assert any(line.endswith("done row/forget: measured (0.5 s)") for line in lines)
