"""Check the noisy-recall chapter's flat stop for the plain RNN against full budgets.

    python scripts/flat_check.py                      # default scale, seed 0, 2 workers (about 5 minutes)
    python scripts/flat_check.py --scale tiny --out /tmp/flat_check

Trains every job of the chapter's scale (the output-unit ablation included) to its budget, with the
flat rule (lstmlib.training.FlatCurveRule, patience a fifth of the budget) watching but stopping
nothing, and writes <out>/noisy_recall_flat_check.json (every trial's record with ``flat_at``, where
the rule would have stopped it; the parameters, seed, commit and date).  The chapter reads it from
reference_runs/hochreiter1997_flat_check (its ``flat_check_dir`` parameter) and says what it found.
"""

from __future__ import annotations

import argparse
import os
import time

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from lstmlib.papers import hochreiter1997 as hs97  # noqa: E402
from lstmlib.study import results  # noqa: E402
from lstmlib.study.jobs import check_workers, run_jobs  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", default="default", help="the chapter's scale (default, paper or tiny)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="reference_runs/hochreiter1997_flat_check", help="folder of the results file")
    args = ap.parse_args()
    jobs = hs97.flat_check_jobs(args.scale, args.seed)  # bad values fail here, before any work
    check_workers(args.workers)
    (out,) = results.check_output_dirs(args.out)
    run_provenance = results.provenance()
    t0 = time.perf_counter()
    records = run_jobs(jobs, workers=args.workers, progress=print)
    wall = time.perf_counter() - t0
    path = results.write_results(out, hs97.FLAT_CHECK, parameters=vars(args), records=records,
                                 summary={"rows": [hs97.summarise(r) for r in records]}, seed=args.seed,
                                 wall_time=wall, run_provenance=run_provenance)
    print(f"wrote {results.shown_path(path)} in {wall:.0f} s")
    print(hs97.flat_check_text(hs97.read_flat_check(out), [], results.shown_path(out)))


if __name__ == "__main__":
    main()
