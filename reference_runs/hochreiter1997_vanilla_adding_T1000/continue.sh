#!/usr/bin/env bash
# Exp. 4 (adding) at T = 1000, the 1997 LSTM, the paper's protocol, 10 trials (paper: 853,000 sequences on
# average, 370,000-2,020,000). Hours on one core: resumable across sittings (scripts/pinned_run.sh).
#   bash reference_runs/hochreiter1997_vanilla_adding_T1000/continue.sh            # start or continue
#   bash reference_runs/hochreiter1997_vanilla_adding_T1000/continue.sh progress   # write the progress file
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
NAME=hochreiter1997_vanilla_adding_T1000
if [[ ${1:-run} == progress ]]; then exec bash scripts/pinned_run.sh $NAME 22b0046174a7dd68dd1e2df3cdab065a5a9ce330 noisy_recall progress; fi
exec bash scripts/pinned_run.sh $NAME 22b0046174a7dd68dd1e2df3cdab065a5a9ce330 noisy_recall run -- papermill notebooks/noisy_recall.ipynb \
    ../$NAME.out.ipynb --log-output -p scale paper -p experiments 4_T1000 -p architectures vanilla \
    -p output_ablation False -p lag_diagnostic False -p workers 1 -p results_dir reference_runs/$NAME \
    -p figures_dir ../$NAME.figures
