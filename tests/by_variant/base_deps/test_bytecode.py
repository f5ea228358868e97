"""The installs' bytecode is hash-based and unchecked (PEP 552): the same bytes in every build,
whatever the files' times, and an import reads the .pyc alone, not the source as well (an image
layer never changes under it; benchmarks/rebuild.py measures the import time)."""

import json


def test_bytecode_is_unchecked_hash_based(run):
    kinds = json.loads(run("python3", "/units/bytecode.py"))
    assert kinds.get("unchecked-hash", {}).get("count", 0) > 1000, kinds
    assert set(kinds) == {"unchecked-hash"}, f"bytecode an import validates: {kinds}"
