"""The trained model, executed by ONNX Runtime: loading it runs no pickled code."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from .artifacts import Artifacts


class DemandModel:
    """Predicts units sold from an encoded feature matrix."""

    def __init__(self, session: ort.InferenceSession, info: dict[str, Any]) -> None:
        self._session = session
        self._input = session.get_inputs()[0].name
        self.info = info

    @classmethod
    def load(cls, model_dir: Path) -> "DemandModel":
        """Load the model and its metadata from a directory written by training."""
        artifacts = Artifacts(model_dir)
        if not artifacts.model.is_file():
            raise FileNotFoundError(f"{artifacts.model} does not exist; run `make train`")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(
            str(artifacts.model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        return cls(session, json.loads(artifacts.metrics.read_text()))

    @property
    def version(self) -> str:
        return self.info["model_version"]

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Expected units sold per row; demand is never negative."""
        (predictions,) = self._session.run(None, {self._input: features})
        return np.clip(predictions.ravel(), 0.0, None)
