"""Service configuration, read from environment variables."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings of the prediction service; each field is read from the same-named variable."""

    model_config = SettingsConfigDict(protected_namespaces=("settings_",))

    model_dir: Path = Field(Path("artifacts"), description="Directory holding the model artifacts.")
    host: str = Field("127.0.0.1", description="Interface the HTTP server binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port the HTTP server listens on.")
    workers: int = Field(1, ge=1, description="Number of server worker processes.")
    log_level: str = Field("info", description="Log level of the server.")
    capture_dir: Path | None = Field(
        None, description="Directory to capture predicted instances to as JSON lines; unset: off."
    )
    capture_max_bytes: int = Field(16 * 2**20, ge=1, description="Size of a full capture file.")
    capture_max_age: float = Field(3600.0, gt=0, description="Seconds a capture file stays open.")
    capture_max_files: int = Field(20, ge=1, description="Capture files kept per directory.")
    drift_report: Path = Field(
        Path("reports/drift/drift.json"), description="Latest drift report, exported as metrics."
    )


class DriftSettings(BaseSettings):
    """Thresholds of the drift job, read from `DRIFT_<FIELD>` variables."""

    model_config = SettingsConfigDict(env_prefix="DRIFT_")

    psi_warn: float = Field(0.1, gt=0, description="PSI from which a feature is reported.")
    psi_alert: float = Field(0.2, gt=0, description="PSI from which a feature has drifted.")
    min_samples: int = Field(500, ge=1, description="Captured instances needed for a verdict.")


class RetrainSettings(BaseSettings):
    """Trigger and promotion rule of the retraining job, read from `RETRAIN_<FIELD>` variables."""

    model_config = SettingsConfigDict(env_prefix="RETRAIN_")

    metric: Literal["mae", "rmse", "r2"] = Field("mae", description="Holdout metric compared.")
    min_improvement: float = Field(
        0.01,
        ge=0,
        description="Relative improvement a challenger needs to be promoted; it must be better.",
    )
    max_degradation: float = Field(
        0.1,
        gt=0,
        description="Relative loss of the metric on fresh data vs. the holdout that retrains.",
    )
