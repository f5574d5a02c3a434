"""circusd's hooks for scripts/serve.sh (imported by circusd, which serve.sh starts with this
folder on PYTHONPATH)."""

import os
from pathlib import Path


def record_pid(watcher, arbiter, hook_name, pid, **kwargs) -> bool:
    """$SERVE_RUN_DIR/<process>.pid names the process's current PID, for operators and
    `kill`: rewritten at each restart."""
    run_dir = Path(os.environ["SERVE_RUN_DIR"])
    partial = run_dir / f".{watcher.name}.pid.tmp"
    partial.write_text(f"{pid}\n")
    partial.replace(run_dir / f"{watcher.name}.pid")
    return True
