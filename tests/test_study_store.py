"""Resumable runs (lstmlib.study.store and run_jobs' store and scheduler): finished jobs are kept on disk
atomically, a rerun reads them instead of running them again, a run killed mid-way (driver and workers)
resumes to the same records, and a Dask cluster gives the same records as the local worker processes."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from lstmlib.study.jobs import ChapterJob, check_scheduler, job_store, run_jobs
from lstmlib.study.store import JobStore, code_version, job_key, progress

ROW = SimpleNamespace(key="row")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass(frozen=True)
class SlowJob(ChapterJob):
    """A job whose record depends only on its parameters; it sleeps ``pause`` seconds and, if ``log`` is
    set, appends its name there (to count the runs)."""

    pause: float = 0.0
    log: str = ""

    def cost(self):
        return self.budget

    def run(self, progress=None):
        if progress is not None:
            progress(f"{self.name}: seen {self.budget // 2:,} sequences/trial; solved 0/1")
        time.sleep(self.pause)
        if self.log:
            with open(self.log, "a") as f:
                f.write(self.name + "\n")
        rng = np.random.default_rng(self.budget)
        return {"job": self.name, "wall_time_s": self.pause, "value": float(rng.normal()), "nan": float("nan"),
                "pair": (1, 2), "by_int": {3: "x"}, "trials": [{"status": "solved", "sequences": self.budget}]}


def slow_jobs(n, pause=0.0, log=""):
    archs = ("rnn", "vanilla", "forget", "peephole")
    return [SlowJob(SimpleNamespace(key=f"row{k // 4}"), archs[k % 4], 1, 100 + k, pause=pause, log=log)
            for k in range(n)]


def _same(a, b):
    """Records equal, NaN included (pickle keeps NaN; NaN != NaN in Python)."""
    return repr(a) == repr(b)


def test_code_version_and_keys():
    assert code_version() == code_version() and "+" in code_version()
    a, b = slow_jobs(2)
    assert job_key(a, "v1") == job_key(a, "v1") != job_key(b, "v1")
    assert job_key(a, "v1") != job_key(a, "v2")  # another code version runs everything again

    class NoRepr:
        name = "x"
    with pytest.raises(ValueError, match="no stable repr"):
        job_key(NoRepr(), "v1")
    with pytest.raises(ValueError, match="abbreviated array"):
        job_key(SlowJob(SimpleNamespace(key=np.arange(2000)), "rnn", 1, 1), "v1")


def test_a_stored_record_comes_back_exactly_and_nothing_half_written_is_left(tmp_path):
    store = JobStore(tmp_path / "s", version="v1")
    job = slow_jobs(1)[0]
    assert store.get(job) is None
    record = job.run()
    store.put(job, record)
    assert _same(store.get(job), record) and store.get(job)["by_int"] == {3: "x"} and len(store) == 1
    assert not list((tmp_path / "s").glob(".tmp-*"))
    assert JobStore(tmp_path / "s", version="v2").get(job) is None


def test_a_bad_store_folder_or_scheduler_is_refused(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="cannot create the job store"):
        JobStore(tmp_path / "file" / "s")
    for bad in ("cluster", 3, "http://x:1"):
        with pytest.raises(ValueError, match="scheduler must be"):
            check_scheduler(bad)
    assert check_scheduler(None) is None and check_scheduler("tcp://10.0.0.1:8786")
    with pytest.raises(ValueError, match="scheduler must be"):
        run_jobs(slow_jobs(1), scheduler="nowhere")


def test_a_rerun_reads_finished_jobs_instead_of_running_them(tmp_path):
    log = tmp_path / "runs.txt"
    jobs = slow_jobs(5, log=str(log))
    store = job_store(tmp_path, "toy")
    assert store.folder == tmp_path / "toy.jobs"
    first = run_jobs(jobs, workers=1, progress=None, store=store)
    lines = []
    again = run_jobs(jobs, workers=1, progress=lines.append, store=store)
    assert _same(first, again) and len(log.read_text().splitlines()) == 5  # nothing ran twice
    assert lines == [f"resuming: 5 of 5 jobs already done, read from {store.folder}"]
    run_jobs(jobs[:3] + slow_jobs(6, log=str(log))[5:], workers=1, progress=None, store=store)
    assert len(log.read_text().splitlines()) == 6  # only the new job ran


def test_the_resuming_line_shows_no_machine_path_for_a_store_in_the_project(tmp_path, monkeypatch):
    from lstmlib.study import results
    monkeypatch.setattr(results, "project_root", lambda start=None: tmp_path)  # as if the project lived here
    store = job_store(tmp_path / "_build" / "results", "toy")
    run_jobs(slow_jobs(2), workers=1, progress=None, store=store)
    lines = []
    run_jobs(slow_jobs(2), workers=1, progress=lines.append, store=store)
    assert lines == ["resuming: 2 of 2 jobs already done, read from _build/results/toy.jobs"]  # as the book shows it


DRIVER = """
import sys
from lstmlib.study.jobs import run_jobs
from lstmlib.study.store import JobStore
from test_study_store import slow_jobs
if __name__ == "__main__":
    run_jobs(slow_jobs(8, pause=0.4), workers=2, progress=print, store=JobStore(sys.argv[1]))
"""


def _start_driver(source, folder, tmp_path):
    """Run ``source`` (a driver script, given the store folder) in a process group of its own, to be killed."""
    script = tmp_path / "driver.py"
    script.write_text(source)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)])}
    return subprocess.Popen([sys.executable, str(script), str(folder)], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def test_a_run_killed_midway_resumes_to_the_same_records(tmp_path):
    folder = tmp_path / "s"
    proc = _start_driver(DRIVER, folder, tmp_path)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(list(folder.glob("*.pkl"))) < 2:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, at once
        proc.wait()
    stored = len(list(folder.glob("*.pkl")))
    assert 2 <= stored < 8, stored
    lines = []
    resumed = run_jobs(slow_jobs(8, pause=0.4), workers=2, progress=lines.append, store=JobStore(folder))
    assert lines[0].startswith(f"resuming: {stored} of 8 jobs already done")
    assert _same(resumed, run_jobs(slow_jobs(8, pause=0.4), workers=2, progress=None))  # as if never stopped
    assert all(p.name.endswith(".part") for p in folder.iterdir() if p.name.startswith(".tmp-"))  # never read


def _without_times(records):
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k != "wall_time_s"}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    return repr(strip(records))


def test_a_chapter_on_a_local_dask_cluster_gives_the_records_of_local_workers():
    pytest.importorskip("distributed")
    from lstmlib.papers.graves2012 import vanishing as V
    jobs, _ = V.jobs_for("tiny")
    lines = []
    on_dask = run_jobs(jobs, workers=2, progress=lines.append, scheduler="local")
    local = run_jobs(jobs, workers=2, progress=None)
    assert _without_times(on_dask) == _without_times(local)
    assert lines[0].startswith("Dask scheduler ") and sum("done " in line for line in lines) == len(jobs)


def test_lines_from_inside_jobs_reach_the_driver_on_dask_and_on_local_workers():
    pytest.importorskip("distributed")
    jobs = slow_jobs(3, pause=0.2)
    for scheduler in ("local", None):
        lines = []
        run_jobs(jobs, workers=2, progress=lines.append, scheduler=scheduler)
        for job in jobs:
            assert f"{job.name}: seen {job.budget // 2:,} sequences/trial; solved 0/1" in lines


def test_live_bars_show_every_job_and_end_with_its_line(capsys):
    records = run_jobs(slow_jobs(3), workers=1, progress="tqdm")
    out = capsys.readouterr()
    assert records[0]["job"] == "row0/rnn"
    assert sum("done row0/" in line for line in out.out.splitlines()) == 3
    assert "row0/vanilla" in out.err  # the bar of a running job, with its name
    with pytest.raises(ValueError, match="progress must be"):
        run_jobs(slow_jobs(1), progress="bars")
    with pytest.raises(ValueError, match="checkpoint_every"):
        run_jobs(slow_jobs(1), checkpoint_every=-1)


TRAINING_DRIVER = """
import sys
from lstmlib.study.jobs import run_jobs
from lstmlib.study.store import JobStore
from test_study_store import training_jobs
if __name__ == "__main__":
    run_jobs(training_jobs(), workers=1, progress=print, store=JobStore(sys.argv[1]), checkpoint_every=0)
"""


def training_jobs():
    """One real training job (the 1997 LSTM on the adding problem at T = 20) that takes some seconds."""
    from lstmlib.papers.hochreiter1997 import jobs as H
    from lstmlib.papers.hochreiter1997.protocols import PROTOCOLS, with_T
    return [H.Job(with_T(PROTOCOLS["4_T100"], 20), "vanilla", 2, 8000, seed=3)]


def test_a_run_killed_inside_a_training_job_resumes_from_its_checkpoint_to_the_same_record(tmp_path):
    folder = tmp_path / "s"
    proc = _start_driver(TRAINING_DRIVER, folder, tmp_path)
    try:
        deadline = time.time() + 120
        ckpt = None
        while time.time() < deadline and ckpt is None:
            ckpt = next(iter(folder.glob("*.checkpoints/train-0.ckpt")), None) if folder.exists() else None
            time.sleep(0.02)
        # killed at once: a fixed wait after the first checkpoint let a fast machine reach the end of the budget
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert ckpt is not None and not list(folder.glob("*.pkl")), "killed before a checkpoint, or after the job"
    (running,) = progress(folder)  # what the scorecard's runs-in-progress table shows
    assert running["state"] == "running" and running["job"] == "4_T20/vanilla" and running["trials"] == 2
    assert 0 < running["seen"] < 8000 and running["budget"] == 8000 and running["unit"] == "sequences"
    lines = []
    store = JobStore(folder)
    resumed = run_jobs(training_jobs(), workers=1, progress=lines.append, store=store, checkpoint_every=0)
    assert any("resumed from a checkpoint at" in line for line in lines)
    assert _without_times(resumed) == _without_times(run_jobs(training_jobs(), workers=1, progress=None))
    assert len(store) == 1 and not list(folder.glob("*.checkpoints"))  # stored, and its checkpoints gone
    (done,) = progress(folder)
    assert done["state"] == "done" and done["solved"] == sum(t["status"] == "solved" for t in resumed[0]["trials"])


def test_a_partial_run_is_shown_as_such_and_never_read_as_results(tmp_path):
    from lstmlib.study import results, scorecard
    store = JobStore(tmp_path / "ref" / "run1" / "toy.jobs")
    jobs = slow_jobs(3)
    run_jobs(jobs[:1], workers=1, progress=None, store=store)
    store.write_plan(jobs)  # as a run of all three that was stopped after the first
    rows = progress(store.folder)
    assert [r["state"] for r in rows] == ["done", "waiting", "waiting"] and rows[0]["solved"] == 1
    assert progress(tmp_path) == []  # no plan: nothing to say
    import pickle
    ckpt = store.folder / f"{job_key(jobs[1], store.version)}.checkpoints"  # a checkpoint with no Trainer history
    ckpt.mkdir()
    (ckpt / "train-1.ckpt").write_bytes(pickle.dumps({"streams": 5}))
    assert [r["state"] for r in progress(store.folder)] == ["done", "running", "waiting"]
    path = results.write_partial(tmp_path / "ref" / "run1", "toy", jobs=rows, command="bash continue.sh")
    assert path.name == "toy.partial.json" and results.read_results(path.parent) == []
    (doc,) = results.read_partials(tmp_path / "ref")
    assert doc["partial"] is True and doc["folder"] == "run1" and doc["command"] == "bash continue.sh"
    page = scorecard.partial_html([doc])
    assert "run1" in page and "partial" in page and "bash continue.sh" in page and page.count("<tr>") == 4
    assert "No reference run" in scorecard.partial_html([])


def test_a_store_with_training_checkpoints_works_on_a_local_dask_cluster(tmp_path):
    pytest.importorskip("distributed")
    store = JobStore(tmp_path / "s")
    lines = []
    on_dask = run_jobs(training_jobs(), workers=1, progress=lines.append, scheduler="local", store=store,
                       checkpoint_every=0)
    assert _without_times(on_dask) == _without_times(run_jobs(training_jobs(), workers=1, progress=None))
    assert len(store) == 1 and not list(store.folder.glob("*.checkpoints"))  # written by the worker, then dropped
    assert progress(store.folder)[0]["state"] == "done"
