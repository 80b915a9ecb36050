r"""Does CERG's second-hand protocol matter?  (lstmlib.papers.gers2000.protocol_check)

    python scripts/cerg_protocol_check.py        # the three rows where nets learn, 3 readings, 10 nets each, 1 worker
    python scripts/cerg_protocol_check.py --rows cerg_forget --variants chapter,squared --trials 2 --budget 40 \
        --out /tmp/check

Trains the CERG rows where nets learn under the chapter's reading of Gers 2000's stream protocol and under
each second-hand alternative (a step right when every squared error is below 0.49; training streams of up
to 1,000,000 symbols), from the same initial weights and strings, at the chapter's default budget, and
writes <out>/forgetting_protocol_check.json (every net's record, the parameters, seed, commit and date).
Resumable: finished jobs, and the training inside a running one, are kept under
<out>/forgetting_protocol_check.jobs/; run the same command again to continue.  The forgetting chapter
reads the file from reference_runs/gers2000_protocol_check.
"""

from __future__ import annotations

import argparse
import os

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from lstmlib.papers.gers2000 import protocol_check as pc  # noqa: E402
from lstmlib.study import results  # noqa: E402
from lstmlib.study.jobs import check_workers, run_study  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default=None, help=f"comma-separated, default {','.join(pc.CHECK_ROWS)}")
    ap.add_argument("--variants", default=None, help=f"comma-separated, default all: {','.join(pc.VARIANTS)}")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--budget", type=int, default=None, help="training streams per net (default: the chapter's)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", default="reference_runs/gers2000_protocol_check", help="folder of the results file")
    args = ap.parse_args()
    jobs = pc.check_jobs(args.rows, args.variants, args.trials, args.budget, args.seed)  # bad values fail here
    check_workers(args.workers)
    (out,) = results.check_output_dirs(args.out)
    parameters = {**vars(args), "partial": args.rows is not None or args.variants is not None}
    doc = run_study(jobs, pc.CHECK_STUDY, out, args.workers, parameters, args.seed, pc.check_rows)
    print(pc.check_text(doc, results.shown_path(out)))


if __name__ == "__main__":
    main()
