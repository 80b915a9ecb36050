#!/usr/bin/env bash
# Build the Jupyter Book (executes the chapters); fails on any Sphinx warning
# or notebook error. Usage: bash scripts/build_book.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup_env.sh
bash scripts/cache_guard.sh

export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1

start=$SECONDS
rc=0
mkdir -p _build
log=_build/build_book.log
.venv/bin/jupyter-book build . -W -n --keep-going 2>&1 | tee "$log" || rc=$?

# per-chapter execution times, from myst-nb's "Executed notebook in N seconds" lines
# (a chapter served from the execution cache has none)
echo "build_book.sh: chapter execution times (s):"
sed -n 's|^.*/\([^/]*\.ipynb\): Executed notebook in \([0-9.]*\) seconds.*$|  \2\t\1|p' "$log" \
    | awk -F'\t' '{printf "  %-28s %8.1f\n", $2, $1; total += $1} END {printf "  %-28s %8.1f\n", "all chapters", total}'

if [[ $rc -ne 0 ]]; then
    echo "build_book.sh: FAILED (jupyter-book exit $rc after $((SECONDS - start)) s)." >&2
    echo "build_book.sh: see the warnings/tracebacks above (a failing notebook aborts the build)." >&2
    exit "$rc"
fi

index="$PWD/_build/html/index.html"
if [[ ! -f "$index" ]]; then
    echo "build_book.sh: FAILED: $index was not produced" >&2
    exit 1
fi
# what a reader should never see: machine paths, a page without the book's style sheet
if ! .venv/bin/python scripts/check_book.py _build/html; then
    echo "build_book.sh: FAILED: the built pages have the problems listed above" >&2
    exit 1
fi
echo "build_book.sh: built in $((SECONDS - start)) s"
echo "$index"
