#!/usr/bin/env bash
# The CERG protocol check (lstmlib.papers.gers2000.protocol_check): the reset, forget-gate and α-decay rows
# under the chapter's reading and the two second-hand ones (squared error < 0.49; training streams of up to
# 1,000,000 symbols), 10 nets each, the chapter's default budget (8,000 streams, 2,000,000 symbols per net).
# Resumable (scripts/pinned_run.sh).
#   bash reference_runs/gers2000_protocol_check/continue.sh            # start or continue
#   bash reference_runs/gers2000_protocol_check/continue.sh progress   # write the progress file
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
NAME=gers2000_protocol_check
COMMIT=f97854aa896c5cc62cbdde5220dc31f94002d88b
if [[ ${1:-run} == progress ]]; then exec bash scripts/pinned_run.sh $NAME $COMMIT forgetting_protocol_check progress; fi
exec bash scripts/pinned_run.sh $NAME $COMMIT forgetting_protocol_check run -- python scripts/cerg_protocol_check.py \
    --workers 2 --out reference_runs/$NAME
