#!/usr/bin/env bash
# The adding-gap study's combined change (output-gate biases -2/-4, weights in [-0.2, 0.2], X1 := 0 for
# either mark) at T = 500, where the paper has a number (209,000), the 1997 LSTM, 10 trials, 2,000,000
# sequences at most; the chapter's own reading at T = 500 is hochreiter1997_vanilla_adding_T500.
# Resumable (scripts/pinned_run.sh).
#   bash reference_runs/hochreiter1997_adding_gap_T500/continue.sh            # start or continue
#   bash reference_runs/hochreiter1997_adding_gap_T500/continue.sh progress   # write the progress file
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
NAME=hochreiter1997_adding_gap_T500
if [[ ${1:-run} == progress ]]; then exec bash scripts/pinned_run.sh $NAME 63e2121540977cb5b910b7c77fa876143ecbd4dd noisy_recall_adding_gap progress; fi
exec bash scripts/pinned_run.sh $NAME 63e2121540977cb5b910b7c77fa876143ecbd4dd noisy_recall_adding_gap run -- python scripts/adding_gap.py --T 500 \
    --variants combined --workers 1 --out reference_runs/$NAME
