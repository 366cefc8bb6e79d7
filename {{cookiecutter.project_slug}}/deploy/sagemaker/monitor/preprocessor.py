"""Model Monitor record preprocessor: one flat record per predicted instance.

The data-quality analyzer reads flat JSON records, while a captured request holds a batch
(`{"instances": [...]}`); Terraform uploads this file and the monitoring job calls the handler
for every captured request.
"""

import base64
import json


def preprocess_handler(inference_record):
    """The instances of one captured request, each a dict of feature values."""
    request = inference_record.endpoint_input
    data = base64.b64decode(request.data) if request.encoding == "BASE64" else request.data
    payload = json.loads(data)
    return payload["instances"] if isinstance(payload, dict) else payload
