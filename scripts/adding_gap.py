"""The adding problem's growing gap: test the open explanations one at a time (lstmlib.papers.hochreiter1997.gap).

    python scripts/adding_gap.py                       # T = 200, 10 trials per change, 1 worker (about 30-60 min)
    python scripts/adding_gap.py --variants paper,exact --trials 2 --budget 2000 --out /tmp/gap

Trains the 1997 LSTM on Exp. 4 at length T under the chapter's reading of the paper and under each change
(exact gradient; no ½ in the error; output-gate biases -2/-4; weights in [-0.2, 0.2]; X1 := 0 for either
mark), all from the same initial weights and training sequences, and writes
<out>/noisy_recall_adding_gap.json (every trial's record, the parameters, seed, commit and date).  Resumable:
finished changes, and the training inside a running one (a checkpoint a minute), are kept under
<out>/noisy_recall_adding_gap.jobs/; run the same command again to continue.  The noisy-recall chapter
reads the file from reference_runs/hochreiter1997_adding_gap_T200 and says what it found.
"""

from __future__ import annotations

import argparse
import os

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from lstmlib.papers.hochreiter1997 import gap  # noqa: E402
from lstmlib.study import results  # noqa: E402
from lstmlib.study.jobs import check_workers, run_study  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--T", type=int, default=200, help="sequence length (minimal lag T/2)")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--budget", type=int, default=None, help="sequences per trial (default: 3000 x T)")
    ap.add_argument("--variants", default=None, help=f"comma-separated, default all: {','.join(gap.VARIANTS)}")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", default="reference_runs/hochreiter1997_adding_gap_T200", help="folder of the results file")
    args = ap.parse_args()
    jobs = gap.gap_jobs(args.T, args.trials, args.budget, args.variants, args.seed)  # bad values fail here
    check_workers(args.workers)
    (out,) = results.check_output_dirs(args.out)
    parameters = {**vars(args), "partial": len(jobs) < len(gap.VARIANTS)}
    doc = run_study(jobs, gap.GAP_STUDY, out, args.workers, parameters, args.seed, gap.gap_rows)
    print(gap.gap_text(doc, results.shown_path(out)))


if __name__ == "__main__":
    main()
