"""Float32 arrays as JSON numbers with the digits float32 has.

The model computes in float32. Written as Python floats (float64), a prediction of 31.574196
reads 31.574195861816406: nine digits that float32 never had, twice the bytes, and twice the
time to write them. orjson writes each value as the shortest decimal that reads back as the
same float32, straight from the array.
"""

import numpy as np
import orjson


def array(values: np.ndarray) -> bytes:
    """A one-dimensional float32 array as a JSON array."""
    return orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)


def floats(values: np.ndarray) -> list[float]:
    """The values as Python floats that JSON-encode to the same digits as `array`."""
    return orjson.loads(array(values))
