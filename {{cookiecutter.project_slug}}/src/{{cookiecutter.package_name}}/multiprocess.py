"""The directory where the processes of one server keep their Prometheus metrics.

prometheus_client keeps each process's values in files under `PROMETHEUS_MULTIPROC_DIR` and adds
them up at scrape time; it chooses that storage when it is first imported, so `metrics` imports
this module first. The first process of a server to import it prepares the directory: a private
one under the temporary directory, removed when that process exits, when the variable is unset,
else the configured one, emptied. The worker processes it then starts, forked or spawned,
inherit the variables and share the directory.
"""

import atexit
import functools
import logging
import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

ENVIRONMENT_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
OWNER_VARIABLE = "PROMETHEUS_MULTIPROC_DIR_OWNER"  # pid of the process that prepared it


@functools.cache
def prepare() -> Path:
    """The directory shared by the processes of this server, prepared by its main process."""
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    if configured and os.environ.get(OWNER_VARIABLE) == str(os.getppid()):
        return Path(configured)  # a worker process: the server that started it prepared it
    if multiprocessing.parent_process() is not None:
        logging.getLogger(__name__).warning(
            "Worker process without a prepared %s: /metrics may cover this process only",
            ENVIRONMENT_VARIABLE,
        )
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):  # values of an earlier run of the server
            stale.unlink(missing_ok=True)
    else:
        directory = Path(tempfile.mkdtemp(prefix=f"{__package__}-metrics-"))
        atexit.register(_remove_if_owner, directory)
    os.environ[ENVIRONMENT_VARIABLE] = str(directory)
    os.environ[OWNER_VARIABLE] = str(os.getpid())
    return directory


def is_worker() -> bool:
    """Whether this process is a worker of the server that prepared the directory."""
    return os.environ.get(OWNER_VARIABLE) != str(os.getpid())


def _remove_if_owner(directory: Path) -> None:
    if not is_worker():  # forked workers inherit this exit handler
        shutil.rmtree(directory, ignore_errors=True)


MULTIPROCESS_DIR = prepare()
