#!/usr/bin/env bash
# The forgetting chapter at the papers' scale: H&S 1997 Exp. 1 (30 trials per row) and Gers 2000 Table 2
# (100 nets per row, at most 30,000 training streams, no symbol cap), every row and architecture.
# Tens of hours on this machine: resumable across sittings (scripts/pinned_run.sh).
#   bash reference_runs/gers2000_paper/continue.sh            # start or continue
#   bash reference_runs/gers2000_paper/continue.sh progress   # write the progress file
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
NAME=gers2000_paper
COMMIT=aa9421f7b0b7be8d07b909ee7a89e968fd5e28d5
if [[ ${1:-run} == progress ]]; then exec bash scripts/pinned_run.sh $NAME $COMMIT forgetting progress; fi
exec bash scripts/pinned_run.sh $NAME $COMMIT forgetting run -- papermill notebooks/forgetting.ipynb /tmp/gers2000_paper.ipynb \
    -p scale paper -p workers 2 -p results_dir reference_runs/$NAME -p figures_dir /tmp/gers2000_paper_figures
