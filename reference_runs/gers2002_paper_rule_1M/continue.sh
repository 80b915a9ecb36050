#!/usr/bin/env bash
# The timing rows the book leaves unsolved (continual MSD at F = 49, GTS at F = 10) with the secondary
# sources' learning rule (momentum SGD, learning rate 1e-5, forget-gate bias -2), with and without
# peepholes, 1,000,000 training streams, 10 trials. About an hour on one core; finished jobs are kept
# (scripts/pinned_run.sh), so a stopped run continues with the next job.
#   bash reference_runs/gers2002_paper_rule_1M/continue.sh            # start or continue
#   bash reference_runs/gers2002_paper_rule_1M/continue.sh progress   # write the progress file
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
NAME=gers2002_paper_rule_1M
if [[ ${1:-run} == progress ]]; then exec bash scripts/pinned_run.sh $NAME c91d9f79b3736029ad6cb2646079c56ec9048df2 timing progress; fi
exec bash scripts/pinned_run.sh $NAME c91d9f79b3736029ad6cb2646079c56ec9048df2 timing run -- papermill notebooks/timing.ipynb ../$NAME.out.ipynb \
    --log-output -p rule paper -p experiments msd_F49_I0-1,gts_F10 -p architectures forget,peephole \
    -p budget 1000000 -p paper_rule_check False -p workers 1 -p results_dir reference_runs/$NAME \
    -p figures_dir ../$NAME.figures
