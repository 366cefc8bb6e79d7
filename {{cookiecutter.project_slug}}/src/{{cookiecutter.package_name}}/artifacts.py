"""Where training writes, and serving reads, the model artifacts."""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Artifacts:
    """The files of one trained model inside `root`."""

    root: Path

    @property
    def model(self) -> Path:
        """The ONNX graph of the whole preprocessing and regression pipeline."""
        return self.root / "model.onnx"

    @property
    def metrics(self) -> Path:
        """Model version, training time and holdout metrics."""
        return self.root / "metrics.json"

    @property
    def reference(self) -> Path:
        """Statistics of every training feature: the baseline for drift detection."""
        return self.root / "reference.json"
