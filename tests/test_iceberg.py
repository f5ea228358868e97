"""pyiceberg writes and reads Iceberg tables through pyarrow."""

import json

import pytest

pytestmark = pytest.mark.stage("iceberg")


def test_iceberg_sql_catalog_append_and_scan(run):
    result = json.loads(run("python3", "/units/iceberg_roundtrip.py"))
    assert result == {"rows": 600, "scan_equal": True, "filtered_rows": 100, "snapshots": 2}
