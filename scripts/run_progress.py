"""Say how far an unfinished, resumable run got, in a file the scorecard shows (marked partial).

    python scripts/run_progress.py reference_runs/hochreiter1997_vanilla_adding_T1000 noisy_recall \\
        --command "bash reference_runs/hochreiter1997_vanilla_adding_T1000/continue.sh"

Reads the run's job store (<folder>/<chapter>.jobs/: finished jobs, and the training checkpoints of the
running ones) and writes <folder>/<chapter>.partial.json: per job done/running/waiting, trials solved and
the training items seen so far, with the command that continues the run and the commit it runs.  The
store itself (pickles) is never committed; this file is.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lstmlib.study import results
from lstmlib.study.store import progress


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", help="the run's results folder")
    ap.add_argument("chapter", help="the chapter name of its results file (noisy_recall, timing, ...)")
    ap.add_argument("--command", required=True, help="the command that continues the run")
    ap.add_argument("--started", default=None, help="a JSON file with the run's provenance (default: now's)")
    args = ap.parse_args()
    folder = results.resolve_path(args.folder)
    store = folder / f"{args.chapter}.jobs"
    if not store.is_dir():
        raise SystemExit(f"no job store at {store}")
    rows = progress(store)
    if not rows:
        raise SystemExit(f"{store} has no plan.json (a run started by run_jobs with a store writes one)")
    started = json.loads(Path(args.started).read_text()) if args.started else None
    path = results.write_partial(folder, args.chapter, jobs=rows, command=args.command, started=started)
    for r in rows:
        print(f"{r['job']}: {r['state']}, {r['solved']}/{r['trials']} solved, {r['seen']:,} of {r['budget']:,} "
              f"{r['unit']}")
    print(f"wrote {results.shown_path(path)}")


if __name__ == "__main__":
    main()
