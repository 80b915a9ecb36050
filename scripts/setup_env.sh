#!/usr/bin/env bash
# Create/update the project virtualenv (.venv) from requirements.txt + constraints.txt.
# Idempotent: does nothing (fast) when the current pin set is already installed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv
PY="$VENV/bin/python"

if [[ ! -x "$PY" ]]; then
    echo "setup_env: creating $VENV with $(command -v python3) ($(python3 --version 2>&1))"
    python3 -m venv "$VENV"
    # Same pip as the reference machine; old ensurepip pips resolve more slowly.
    "$PY" -m pip install -q --disable-pip-version-check 'pip==26.3' 2>&1 \
        | { grep -v "^WARNING: Location '.*' is ignored" || true; }
fi

# Stamp = hash of everything that decides what gets installed.
hash=$(cat requirements.txt constraints.txt pyproject.toml | sha256sum | cut -c1-16)
stamp="$VENV/.installed-$hash"

if [[ -f "$stamp" ]]; then
    exit 0
fi

echo "setup_env: installing requirements into $VENV (one-off, may take a minute)"
# pip's local-mirror config prints one harmless "WARNING: Location ... is ignored" line
# per package; drop those, keep everything else (real errors included).
"$PY" -m pip install -q --disable-pip-version-check \
        -r requirements.txt -c constraints.txt 2>&1 \
    | { grep -v "^WARNING: Location '.*' is ignored" || true; }

# pipefail above propagates pip's exit status; also check the editable install really
# resolves the package (an install made while lstmlib/ was missing maps nothing).
# -I: isolated mode, so the current directory is not on sys.path and cannot mask it.
if ! "$PY" -I -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("lstmlib") is None)'; then
    echo "setup_env: ERROR: 'lstmlib' is not importable from $VENV after install" >&2
    exit 1
fi

rm -f "$VENV"/.installed-*
touch "$stamp"
echo "setup_env: done ($stamp)"
