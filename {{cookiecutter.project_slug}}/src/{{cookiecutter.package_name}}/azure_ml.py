"""Azure ML data collection of the predictions: the input of the platform's model monitor.

When an online deployment has a data collector, Azure ML mounts its configuration into the
container (AZUREML_MDC_CONFIG_PATH) and stores what the azureml-ai-monitoring SDK collects in the
workspace's blob datastore: here the collections `model_inputs` (one row of features per instance,
read by the drift monitor) and `model_outputs` (its prediction), correlated per request.
"""

import logging
import os

import pandas as pd
from azureml.ai.monitoring import Collector
from azureml.ai.monitoring.context import BasicCorrelationContext
from azureml.ai.monitoring.init import teardown

from . import float32_json
from .capture import BackgroundWriter, Batch
from .features import FEATURES, record

logger = logging.getLogger(__name__)

CONFIG_VARIABLE = "AZUREML_MDC_CONFIG_PATH"


def data_collection_enabled() -> bool:
    """Whether Azure ML runs this process with a data collector."""
    return bool(os.environ.get(CONFIG_VARIABLE))


class DataCollectorWriter(BackgroundWriter):
    """Hands each predicted batch to the data collector, with the capture writer's interface.

    Requests only queue their batch; a background thread builds the data frames and collects them,
    and the SDK's own thread sends them on. When the collector falls behind, batches are dropped
    and counted: data collection never delays or fails a prediction.
    """

    def __init__(self, max_pending: int = 1000) -> None:
        super().__init__(max_pending)
        self.failures = 0
        self._inputs = Collector(name="model_inputs", on_error=self._failed)
        self._outputs = Collector(name="model_outputs", on_error=self._failed)

    def write(self, batch: Batch, *, burst_done: bool) -> None:
        self._collect(batch)

    def finish(self) -> None:
        teardown(wait_for_flush=True)

    def _collect(self, batch: Batch) -> None:
        timestamp, model_version, instances, predictions = batch
        context = BasicCorrelationContext(timestamp=int(timestamp))
        inputs = pd.DataFrame([record(instance) for instance in instances], columns=list(FEATURES))
        self._inputs.collect(inputs, context)
        outputs = pd.DataFrame(
            {"prediction": float32_json.floats(predictions), "model_version": model_version}
        )
        self._outputs.collect(outputs, context)

    def _failed(self, error: Exception) -> None:
        if not self.failures:
            logger.warning("Data collection failed: %s (see `failures`)", error)
        self.failures += 1
