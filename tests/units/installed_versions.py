"""Print {distribution: version} of every installed distribution, names normalized, as JSON."""

import importlib.metadata
import json
import re

print(
    json.dumps(
        {
            re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower(): dist.version
            for dist in importlib.metadata.distributions()
        }
    )
)
