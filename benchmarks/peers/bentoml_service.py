"""The benchmark's BentoML peer: the same fitted pipeline behind a `@bentoml.service` class.

Written the way BentoML's documentation writes a scikit-learn service: the model is loaded in
`__init__`, one `@bentoml.api` method takes the same request body as the generated service
(`{"instances": [...]}`, validated by pydantic with the same rules) and answers the predictions.
`BENCHMARK_MODEL` is the joblib file, `BENCHMARK_WORKERS` the number of worker processes.
"""

import os
from typing import Literal

import bentoml
import joblib
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SEASONS = ("winter", "spring", "summer", "autumn")
CODES = {
    "weekday": {name: code for code, name in enumerate(WEEKDAYS)},
    "season": {name: code for code, name in enumerate(SEASONS)},
}


class Instance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store_id: int = Field(ge=1, le=20)
    price: float = Field(gt=0, le=1_000, allow_inf_nan=False)
    promotion: bool
    holiday: bool
    weekday: Literal[WEEKDAYS]
    season: Literal[SEASONS]
    temperature: float = Field(ge=-50, le=60, allow_inf_nan=False)


@bentoml.service(workers=int(os.environ.get("BENCHMARK_WORKERS", "1")))
class DemandForecast:
    def __init__(self) -> None:
        self.model = joblib.load(os.environ["BENCHMARK_MODEL"])

    @bentoml.api
    def predict(self, instances: list[Instance]) -> dict[str, list[float]]:
        matrix = np.array(
            [
                [
                    row.store_id,
                    row.price,
                    row.promotion,
                    row.holiday,
                    CODES["weekday"][row.weekday],
                    CODES["season"][row.season],
                    row.temperature,
                ]
                for row in instances
            ],
            dtype=np.float32,
        )
        return {"predictions": np.clip(self.model.predict(matrix), 0.0, None).tolist()}
