"""Request and response bodies of the prediction API."""

{% if cookiecutter.python_version == "3.11" -%}
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict from Python 3.12 on
{%- else -%}
from typing import Annotated, TypedDict

from pydantic import BaseModel, ConfigDict, Field
{%- endif %}

from .features import N_STORES, Season, Weekday

MAX_INSTANCES = 10_000


class Instance(BaseModel):
    """One store-day to forecast."""

    model_config = ConfigDict(extra="forbid")

    store_id: int = Field(ge=1, le=N_STORES, description="Store number.")
    price: float = Field(gt=0, le=1_000, allow_inf_nan=False, description="Unit price.")
    promotion: bool = Field(description="Whether the product is on promotion.")
    holiday: bool = Field(description="Whether the day is a public holiday.")
    weekday: Weekday
    season: Season
    temperature: float = Field(ge=-50, le=60, allow_inf_nan=False, description="Celsius.")


def fields_as_dict(model: type[BaseModel]) -> type:
    """A TypedDict with the fields and rules of `model`: validating it builds no model object."""
    typed = TypedDict(
        model.__name__,
        {name: Annotated[field.annotation, field] for name, field in model.model_fields.items()},
    )
    typed.__doc__ = model.__doc__
    typed.__pydantic_config__ = model.model_config
    return typed


# A batch's instances are validated against Instance's rules as plain dicts, which the encoder
# reads directly: a third of the cost of one model object per instance on large batches.
InstanceDict = fields_as_dict(Instance)


class PredictRequest(BaseModel):
    """A batch of store-days."""

    model_config = ConfigDict(extra="forbid")

    instances: list[InstanceDict] = Field(min_length=1, max_length=MAX_INSTANCES)


class PredictResponse(BaseModel):
    """Expected units sold, in the order of the request's instances."""

    predictions: list[float]
    model_version: str
