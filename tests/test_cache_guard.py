"""scripts/cache_guard.sh clears numba's cache files and the book's execution cache when, and only
when, the library's source changes."""

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tree(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "cache_guard.sh", tmp_path / "scripts")
    (tmp_path / "lstmlib" / "engines" / "__pycache__").mkdir(parents=True)
    (tmp_path / "lstmlib" / "engines" / "kernels.py").write_text("x = 1\n")
    (tmp_path / ".venv").mkdir()
    return tmp_path


def _caches(root):
    cache = root / "lstmlib" / "engines" / "__pycache__"
    (cache / "online.run_stream-1.py311.nbi").write_text("")
    (cache / "online.run_stream-1.py311.1.nbc").write_text("")
    (cache / "kernels.cpython-311.pyc").write_text("")
    (root / "_build" / ".jupyter_cache").mkdir(parents=True, exist_ok=True)
    return cache


def _guard(root):
    return subprocess.run(["bash", "scripts/cache_guard.sh"], cwd=root, capture_output=True, text=True, check=True)


def test_cache_guard_clears_caches_only_after_a_library_change(tmp_path):
    root = _tree(tmp_path)
    _guard(root)  # first run: records the source hash
    cache = _caches(root)
    assert "cleared" not in _guard(root).stdout  # nothing changed: caches kept
    assert (cache / "online.run_stream-1.py311.nbi").exists() and (root / "_build" / ".jupyter_cache").exists()

    (root / "lstmlib" / "engines" / "kernels.py").write_text("x = 2\n")
    out = _guard(root).stdout
    assert "cleared 2 numba cache files and the book's execution cache" in out
    assert not list(cache.glob("*.nb*")) and (cache / "kernels.cpython-311.pyc").exists()
    assert not (root / "_build" / ".jupyter_cache").exists()

    _caches(root)
    assert "cleared" not in _guard(root).stdout  # the new hash is recorded
    (root / "lstmlib" / "new_module.py").write_text("")  # a new file is a change too
    assert "cleared" in _guard(root).stdout
