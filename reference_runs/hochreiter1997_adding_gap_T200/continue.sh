#!/usr/bin/env bash
# The adding-gap study at T = 200 (scripts/adding_gap.py: every change, the combined one included, 10 trials
# each), on the code of one commit (scripts/pinned_run.sh); resumable: finished changes and the training
# inside a running one are kept, and the same command continues.
#   bash reference_runs/hochreiter1997_adding_gap_T200/continue.sh            # start or continue
#   bash reference_runs/hochreiter1997_adding_gap_T200/continue.sh progress   # write the progress file
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
NAME=hochreiter1997_adding_gap_T200
if [[ ${1:-run} == progress ]]; then exec bash scripts/pinned_run.sh $NAME 7f7bee24b961e33b30e1b785f5fae46fd78f639e noisy_recall_adding_gap progress; fi
exec bash scripts/pinned_run.sh $NAME 7f7bee24b961e33b30e1b785f5fae46fd78f639e noisy_recall_adding_gap run -- python scripts/adding_gap.py --workers 1 \
    --out reference_runs/$NAME
