#!/usr/bin/env bash
# Exp. 4 (adding) at T = 500 for the plain RNN, the forget-gate and the peephole LSTM, the paper's protocol,
# 10 trials each (the 1997 LSTM's run is hochreiter1997_vanilla_adding_T500), on 2 workers. Hours: resumable
# across sittings (scripts/pinned_run.sh).
#   bash reference_runs/hochreiter1997_adding_T500_others/continue.sh            # start or continue
#   bash reference_runs/hochreiter1997_adding_T500_others/continue.sh progress   # write the progress file
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
NAME=hochreiter1997_adding_T500_others
if [[ ${1:-run} == progress ]]; then exec bash scripts/pinned_run.sh $NAME 552958492d7a54489b670d8b550823e4e7090aa2 noisy_recall progress; fi
exec bash scripts/pinned_run.sh $NAME 552958492d7a54489b670d8b550823e4e7090aa2 noisy_recall run -- papermill notebooks/noisy_recall.ipynb \
    ../$NAME.out.ipynb --log-output -p scale paper -p experiments 4_T500 -p architectures rnn,forget,peephole \
    -p output_ablation False -p lag_diagnostic False -p workers 2 -p results_dir reference_runs/$NAME \
    -p figures_dir ../$NAME.figures
