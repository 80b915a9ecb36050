#!/usr/bin/env bash
# The timing rows the book leaves unsolved (continual MSD at F = 49, GTS at F = 10) with the book's learning
# rule (Adam, forget-gate bias +2), with and without peepholes, 1,000,000 training streams (five times
# gers2002_fast_200k), 10 trials. About an hour on one core; resumable (scripts/pinned_run.sh).
#   bash reference_runs/gers2002_fast_1M/continue.sh            # start or continue
#   bash reference_runs/gers2002_fast_1M/continue.sh progress   # write the progress file
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
NAME=gers2002_fast_1M
if [[ ${1:-run} == progress ]]; then exec bash scripts/pinned_run.sh $NAME 32460c655e51731ed2b95f71dd3893194ed9ebe6 timing progress; fi
exec bash scripts/pinned_run.sh $NAME 32460c655e51731ed2b95f71dd3893194ed9ebe6 timing run -- papermill notebooks/timing.ipynb ../$NAME.out.ipynb \
    --log-output -p experiments msd_F49_I0-1,gts_F10 -p architectures forget,peephole -p budget 1000000 \
    -p paper_rule_check False -p workers 1 -p results_dir reference_runs/$NAME -p figures_dir ../$NAME.figures
