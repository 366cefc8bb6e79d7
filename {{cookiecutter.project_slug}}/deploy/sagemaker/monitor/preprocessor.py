"""Model Monitor record preprocessor: one flat record per predicted instance.

The data-quality analyzer reads flat JSON records, while a captured request holds a batch
(`{"instances": [...]}`); Terraform uploads this file and the monitoring job calls the handler
for every captured request. The analyzer orders a record's keys lexicographically and lines
them up with the baseline's columns, so the baseline CSV (the package's model_monitor module,
which deploy.sh runs) has the same feature names in that order.
"""

import base64
import json


def preprocess_handler(inference_record):
    """The instances of one captured request, each a dict of feature values."""
    request = inference_record.endpoint_input
    data = base64.b64decode(request.data) if request.encoding == "BASE64" else request.data
    payload = json.loads(data)
    return payload["instances"] if isinstance(payload, dict) else payload
