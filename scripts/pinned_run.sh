#!/usr/bin/env bash
# Run (or continue) a long reference run on the code of one commit, resumably, across sittings.
#
#   bash scripts/pinned_run.sh NAME COMMIT CHAPTER run -- COMMAND...   # start or continue it
#   bash scripts/pinned_run.sh NAME COMMIT CHAPTER progress            # write its progress file
#
# The run works in a git worktree of COMMIT ($PINNED_ROOT/NAME, default ../refruns/NAME beside this
# checkout), so that later commits do not change the code it runs (its job store is keyed by the code
# version), with this checkout's .venv.  COMMAND runs in the worktree and writes reference_runs/NAME there;
# finished jobs and the training checkpoints of running ones are kept in reference_runs/NAME/CHAPTER.jobs/,
# so the same command continues where a stopped run stopped.  When it has written CHAPTER.json, that
# file is copied into this checkout's reference_runs/NAME.  "progress" writes CHAPTER.partial.json
# (scripts/run_progress.py) into this checkout's reference_runs/NAME, for the scorecard's runs in progress.
set -euo pipefail
[[ $# -ge 4 ]] || { sed -n 2,14p "$0"; exit 2; }
NAME=$1 COMMIT=$2 CHAPTER=$3 MODE=$4
shift 4
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${PINNED_ROOT:-$ROOT/../refruns}/$NAME
if [[ ! -d $WORK ]]; then
    git -C "$ROOT" worktree add --detach "$WORK" "$COMMIT"
fi
[[ $(git -C "$WORK" rev-parse HEAD) == $(git -C "$ROOT" rev-parse "$COMMIT") ]] \
    || { echo "pinned_run: $WORK is not at $COMMIT" >&2; exit 1; }
# shellcheck disable=SC1091
source "$ROOT/.venv/bin/activate"
export PYTHONPATH=$WORK OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 PYTHONUNBUFFERED=1
mkdir -p "$ROOT/reference_runs/$NAME"
CONTINUE="bash reference_runs/$NAME/continue.sh"
case $MODE in
    run)
        [[ ${1:-} == "--" ]] && shift
        (cd "$WORK" && "$@")
        if [[ -f $WORK/reference_runs/$NAME/$CHAPTER.json ]]; then
            cp "$WORK/reference_runs/$NAME/$CHAPTER.json" "$ROOT/reference_runs/$NAME/"
            rm -f "$ROOT/reference_runs/$NAME/$CHAPTER.partial.json"
            echo "pinned_run: finished; copied $CHAPTER.json into reference_runs/$NAME"
        fi
        ;;
    progress)
        (cd "$WORK" && python "$ROOT/scripts/run_progress.py" "reference_runs/$NAME" "$CHAPTER" --command "$CONTINUE" \
            --started <(python -c "import json; from lstmlib.study.results import provenance; print(json.dumps(provenance()))"))
        cp "$WORK/reference_runs/$NAME/$CHAPTER.partial.json" "$ROOT/reference_runs/$NAME/"
        ;;
    *) echo "pinned_run: MODE must be run or progress, got $MODE" >&2; exit 2 ;;
esac
