#!/usr/bin/env bash
# Run the test suite: bash scripts/test.sh [pytest args...]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup_env.sh
bash scripts/cache_guard.sh

# Lint first (a second): the configuration is in pyproject.toml.
.venv/bin/ruff check --quiet lstmlib tests benchmarks book/_ext scripts

# One thread everywhere: faster for these small models and keeps timings reproducible.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1

rc=0
.venv/bin/python -m pytest "$@" || rc=$?

if [[ $rc -eq 5 ]]; then
    echo "test.sh: FAILED: pytest collected no tests (exit 5)" >&2
elif [[ $rc -ne 0 ]]; then
    echo "test.sh: FAILED (pytest exit $rc)" >&2
fi
exit "$rc"
