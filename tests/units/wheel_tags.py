"""Print JSON {distribution: [wheel tags]} for every installed wheel whose tags none fit this
interpreter and platform (read from each .dist-info/WHEEL, judged by pip's own tag list)."""

import importlib.metadata
import json

from pip._vendor.packaging.tags import sys_tags

supported = {str(tag) for tag in sys_tags()}
misfits = {}
for dist in importlib.metadata.distributions():
    wheel = dist.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    if tags and not supported.intersection(tags):
        misfits[dist.metadata["Name"]] = tags
print(json.dumps(misfits))
