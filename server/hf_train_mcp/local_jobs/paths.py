"""Where local jobs live on disk.

<data dir>/                     hf_train_mcp.paths.data_dir(): $HF_TRAIN_MCP_DATA_DIR, else
                                $XDG_CACHE_HOME/hf-train-mcp (default ~/.cache/hf-train-mcp)
    local-jobs.sqlite3          job records (WAL mode)
    local-jobs/
        slots/slot-<n>.lock     one flock per concurrent job (held by the job's supervisor)
        <job id>/
            spec.json           what the supervisor runs (no secret values)
            supervisor.lock     flocked by the supervisor for its whole life: free lock = dead supervisor
            supervisor.log      the supervisor's own errors
            output.log          the job's stdout+stderr, one "<UTC ISO timestamp>\t<text>" line each
            exit.json           exit code, final stage and message, written when the job ends
            <script>            uv jobs: the script
            work/               the job's working directory (outputs written to relative paths land here)
"""

from __future__ import annotations

from pathlib import Path

from hf_train_mcp.paths import data_dir

DB_NAME = "local-jobs.sqlite3"
JOBS_DIR_NAME = "local-jobs"
SPEC_FILE = "spec.json"
SUPERVISOR_LOCK = "supervisor.lock"
SUPERVISOR_LOG = "supervisor.log"
OUTPUT_LOG = "output.log"
EXIT_FILE = "exit.json"
WORK_DIR = "work"


def default_data_dir() -> Path:
    return data_dir()


def db_path(data_dir: Path) -> Path:
    return data_dir / DB_NAME


def jobs_root(data_dir: Path) -> Path:
    return data_dir / JOBS_DIR_NAME


def slots_dir(data_dir: Path) -> Path:
    return jobs_root(data_dir) / "slots"


def job_dir(data_dir: Path, job_id: str) -> Path:
    return jobs_root(data_dir) / job_id
