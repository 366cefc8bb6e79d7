"""The fast decoder vouches only for requests pydantic accepts, and decodes them the same way."""

import json
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from {{ cookiecutter.package_name }}.decoding import decode_request, decoder_for, struct_for
from {{ cookiecutter.package_name }}.features import encode
from {{ cookiecutter.package_name }}.schemas import MAX_INSTANCES, PredictRequest


def request_body(instances: list[dict[str, Any]], **extra: Any) -> bytes:
    return json.dumps({"instances": instances, **extra}).encode()


def test_a_valid_batch_decodes_to_the_features_pydantic_gives(instance: dict[str, Any]) -> None:
    body = request_body([instance, {**instance, "price": 7, "weekday": "monday"}])
    decoded = decode_request(body)
    assert decoded is not None
    expected = encode(PredictRequest.model_validate_json(body).instances)
    assert (encode(decoded.instances) == expected).all()


@pytest.mark.parametrize(
    "change",
    [
        {"price": -1},
        {"price": "cheap"},
        {"price": None},
        {"store_id": 0},
        {"store_id": 999},
        {"store_id": 2.5},
        {"weekday": "someday"},
        {"season": "monsoon"},
        {"promotion": "maybe"},
        {"temperature": 500},
        {"discount": 0.1},
    ],
)
def test_an_invalid_instance_is_left_to_pydantic(
    instance: dict[str, Any], change: dict[str, Any]
) -> None:
    body = request_body([instance, {**instance, **change}])
    with pytest.raises(ValidationError):
        PredictRequest.model_validate_json(body)
    assert decode_request(body) is None


@pytest.mark.parametrize(
    "body",
    [
        b'{"instances": []}',
        b"{}",
        b'{"instances": "all"}',
        b"[1, 2]",
        b'{"instances": [{"price": 1e999}]}',
        b'{"instances": [{"price": NaN}]}',
        b"{not json",
        b"",
    ],
)
def test_a_malformed_request_is_left_to_pydantic(body: bytes) -> None:
    with pytest.raises(ValidationError):
        PredictRequest.model_validate_json(body)
    assert decode_request(body) is None


def test_batch_rules_are_those_of_the_request_model(instance: dict[str, Any]) -> None:
    assert decode_request(request_body([instance] * MAX_INSTANCES)) is not None
    assert decode_request(request_body([instance] * (MAX_INSTANCES + 1))) is None
    assert decode_request(request_body([instance], parameters={})) is None


@pytest.mark.parametrize(
    "change", [{"price": "4.99"}, {"store_id": "3"}, {"store_id": True}, {"promotion": 1}]
)
def test_both_refuse_to_coerce(instance: dict[str, Any], change: dict[str, Any]) -> None:
    body = request_body([{**instance, **change}])
    with pytest.raises(ValidationError):
        PredictRequest.model_validate_json(body)
    assert decode_request(body) is None


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scale: float = Field(1.0, gt=0)


class WithOptions(PredictRequest):
    options: Options | None = None


@pytest.mark.parametrize(
    ("extra", "valid"),
    [
        ({}, True),
        ({"options": None}, True),
        ({"options": {}}, True),
        ({"options": {"scale": 2}}, True),
        ({"options": {"scale": 0}}, False),
        ({"options": {"unit": "kg"}}, False),
        ({"options": []}, False),
    ],
)
def test_optional_models_and_defaults_are_those_of_pydantic(
    instance: dict[str, Any], extra: dict[str, Any], valid: bool
) -> None:
    body = request_body([instance], **extra)
    decoded = decoder_for(WithOptions)(body)
    if not valid:
        with pytest.raises(ValidationError):
            WithOptions.model_validate_json(body)
        assert decoded is None
        return
    expected = WithOptions.model_validate_json(body)
    assert decoded is not None
    assert (decoded.options is None) == (expected.options is None)
    if expected.options is not None:
        assert decoded.options.scale == expected.options.scale


def test_a_rule_msgspec_cannot_express_fails_at_import() -> None:
    class Coded(BaseModel):
        code: str = Field(pattern="^[A-Z]+$")

    with pytest.raises(TypeError, match=r"Coded\.code"):
        struct_for(Coded)
