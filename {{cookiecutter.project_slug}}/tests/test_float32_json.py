"""Float32 values are written with the digits float32 has, and read back as the same values."""

import json

import numpy as np

from {{ cookiecutter.package_name }} import float32_json
from {{ cookiecutter.package_name }}.schemas import PredictResponse

EDGES = np.array([0.0, 0.1, 31.574196, 3.2e-5, 1e-8, 123456790.0, 1.5e16], dtype=np.float32)


def test_every_value_reads_back_as_the_same_float32() -> None:
    spread = np.random.default_rng(0).gamma(2.0, 50.0, 10_000).astype(np.float32)
    values = np.concatenate([EDGES, spread])
    read = np.array(json.loads(float32_json.array(values)), dtype=np.float32)
    assert np.array_equal(read, values)


def test_values_carry_no_digits_float32_lacks() -> None:
    assert float32_json.array(np.array([31.574196, 0.1], dtype=np.float32)) == b"[31.574196,0.1]"
    assert np.float32(31.574196).item() == 31.574195861816406  # what tolist() would have written


def test_the_response_model_writes_the_floats_with_the_same_digits() -> None:
    dumped = PredictResponse(predictions=float32_json.floats(EDGES), model_version="v1")
    written = b'{"predictions":' + float32_json.array(EDGES) + b',"model_version":"v1"}'
    assert dumped.model_dump_json().encode() == written
