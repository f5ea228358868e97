"""pyiceberg writes and reads Iceberg tables through pyarrow: on a local warehouse, and on S3 with
a PostgreSQL catalog, as the spark user."""

import json

import pytest

from tests.utils.containers import SPARK_USER


def test_iceberg_sql_catalog_append_and_scan(run):
    result = json.loads(run("python3", "/units/iceberg_roundtrip.py"))
    assert result == {"rows": 600, "scan_equal": True, "filtered_rows": 100, "snapshots": 2}


@pytest.mark.parametrize("file_io", ["s3fs", "pyarrow"])
def test_iceberg_table_on_s3_appends_evolves_and_travels_back(
    run_with_test_tools, postgres, file_io
):
    result = json.loads(
        run_with_test_tools(
            "python3", "/units/iceberg_s3.py", file_io, networks=[postgres], user=SPARK_USER
        )
    )
    assert result == {
        "metadata_location": "s3:",
        "file_io": {"s3fs": "FsspecFileIO", "pyarrow": "PyArrowFileIO"}[file_io],
        "filtered_rows": 75,
        "columns": ["id", "amount", "region", "note"],
        "rows": 610,
        "rows_with_note": 10,
        "snapshots": 3,
        "first_snapshot_equal": True,
        "parquet_files_in_bucket": 3,
    }
