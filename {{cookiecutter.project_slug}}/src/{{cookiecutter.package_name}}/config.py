"""Service configuration, read from environment variables."""

from pathlib import Path

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
