"""Several worker processes of the prediction API: gunicorn's arbiter running uvicorn workers.

The application's code is imported once, in the arbiter, and the workers are forked from it:
they start in a fraction of the time that spawning fresh interpreters takes, and share the
imported modules' memory. Each worker then runs the application's lifespan, so every worker
loads its own model. Log lines read as uvicorn writes them with a single process.
"""

import copy
from typing import Any

import uvicorn.config
from gunicorn.app.base import BaseApplication
from uvicorn.importer import import_from_string

from .config import Settings


class PreforkServer(BaseApplication):
    """Serves the application built by the factory `app` ("module:function") in workers."""

    def __init__(self, app: str, settings: Settings) -> None:
        self.factory = app
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        host = f"[{self.settings.host}]" if ":" in self.settings.host else self.settings.host
        options = {
            "bind": [f"{host}:{self.settings.port}"],
            "workers": self.settings.workers,
            "worker_class": "uvicorn_worker.UvicornWorker",
            "preload_app": True,
            "logconfig_dict": log_config(self.settings.log_level),
            "control_socket_disable": True,  # no gunicornc socket under $HOME
        }
        for name, value in options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        return import_from_string(self.factory)()


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's own log format and level, for gunicorn's loggers, which its workers log to."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["root"] = {"level": "WARNING", "handlers": []}
    config["loggers"] = {
        "gunicorn.error": {"handlers": ["default"], "level": level.upper(), "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": level.upper(), "propagate": False},
    }
    return config
