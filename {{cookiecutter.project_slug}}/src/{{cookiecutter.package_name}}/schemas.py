"""Request and response bodies of the prediction API."""

from pydantic import BaseModel, ConfigDict, Field

from .features import N_STORES, Season, Weekday

MAX_INSTANCES = 10_000
MAX_BODY_BYTES = 4 * 2**20  # a full batch of MAX_INSTANCES takes about 1.5 MB of JSON


class Instance(BaseModel):
    """One store-day to forecast."""

    model_config = ConfigDict(extra="forbid", strict=True)

    store_id: int = Field(ge=1, le=N_STORES, description="Store number.")
    price: float = Field(gt=0, le=1_000, allow_inf_nan=False, description="Unit price.")
    promotion: bool = Field(description="Whether the product is on promotion.")
    holiday: bool = Field(description="Whether the day is a public holiday.")
    weekday: Weekday
    season: Season
    temperature: float = Field(ge=-50, le=60, allow_inf_nan=False, description="Celsius.")


class PredictRequest(BaseModel):
    """A batch of store-days."""

    model_config = ConfigDict(extra="forbid")

    instances: list[Instance] = Field(min_length=1, max_length=MAX_INSTANCES)


class PredictResponse(BaseModel):
    """Expected units sold, in the order of the request's instances."""

    predictions: list[float]
    model_version: str
