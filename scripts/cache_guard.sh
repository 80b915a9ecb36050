#!/usr/bin/env bash
# Caches that cannot go stale: sourced by test.sh and build_book.sh after setup_env.sh.
#
# numba's on-disk cache (cache=True) keys each compiled function on its own file only, so a kernel
# that inlines functions from another file (engines/online.py compiles engines/kernels.py's step
# functions into itself) keeps running the old code after that file changes.  The book's execution
# cache (jupyter-cache) keys a chapter on its code cells only, not on the library it calls.  So both
# are keyed here on a hash of the library's source: when lstmlib/ changes, the numba cache files
# and the book's execution cache are deleted, and the next run recompiles and re-executes.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

stamp=.venv/.lstmlib-source
hash=$(find lstmlib -name '*.py' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)

if [[ "$(cat "$stamp" 2>/dev/null)" != "$hash" ]]; then
    n=$(find lstmlib -path '*/__pycache__/*' \( -name '*.nbi' -o -name '*.nbc' \) | wc -l)
    find lstmlib -path '*/__pycache__/*' \( -name '*.nbi' -o -name '*.nbc' \) -delete
    if [[ -d _build/.jupyter_cache ]]; then
        rm -rf _build/.jupyter_cache
        echo "cache_guard: lstmlib changed: cleared $n numba cache files and the book's execution cache"
    elif [[ $n -gt 0 ]]; then
        echo "cache_guard: lstmlib changed: cleared $n numba cache files"
    fi
    echo "$hash" > "$stamp"
fi
