"""pyiceberg on object storage, as a warehouse on Kubernetes runs it: an S3 endpoint on loopback
(moto's server from /opt/s3-server, a process of its own), a SQL catalog on the PostgreSQL server
at 127.0.0.1:5432, and through the FileIO named by the argument (s3fs or pyarrow) a table under
s3:// that gets Arrow data appended twice, a filtered scan, a new column, a third append and a
read of its first snapshot. Each run uses a bucket and a namespace of its own: the PostgreSQL
server is shared. Prints JSON.

Usage: iceberg_s3.py s3fs|pyarrow"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.types import StringType

FILE_IOS = {
    "s3fs": "pyiceberg.io.fsspec.FsspecFileIO",
    "pyarrow": "pyiceberg.io.pyarrow.PyArrowFileIO",
}
CREDENTIALS = {
    "s3.access-key-id": "testing",
    "s3.secret-access-key": "testing",
    "s3.region": "us-east-1",
}
# No instance metadata service to ask for credentials here: the SDKs would wait for it.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_s3_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "PYTHONPATH": "/opt/s3-server"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(100):
        if server.poll() is not None:
            sys.exit(f"moto's S3 server exited: {server.stderr.read()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("moto's S3 server did not answer in 20 s")


def orders(first_id: int, count: int, note: bool = False) -> pa.Table:
    columns = {
        "id": pa.array(range(first_id, first_id + count), pa.int64()),
        "amount": pa.array([i * 0.25 for i in range(first_id, first_id + count)], pa.float64()),
        "region": pa.array(["north", "south"] * (count // 2), pa.string()),
    }
    if note:
        columns["note"] = pa.array(
            [f"order {i}" for i in range(first_id, first_id + count)], pa.string()
        )
    return pa.table(columns)


def rows(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda row: row["id"])


def round_trip(endpoint: str, bucket: str, run: str, file_io: str) -> dict:
    catalog = SqlCatalog(
        "s3",
        uri="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres",
        warehouse=f"s3://{bucket}/warehouse",
        **{"s3.endpoint": endpoint, "py-io-impl": file_io, **CREDENTIALS},
    )
    namespace = run
    catalog.create_namespace(namespace)
    first = orders(0, 500)
    table = catalog.create_table(f"{namespace}.orders", schema=first.schema)
    table.append(first)
    first_snapshot = table.current_snapshot().snapshot_id
    table.append(orders(500, 100))
    filtered = table.scan(row_filter="region == 'north' and id >= 450").to_arrow()
    with table.update_schema() as update:
        update.add_column("note", StringType())
    table.append(orders(600, 10, note=True))

    reloaded = catalog.load_table(f"{namespace}.orders")
    current = reloaded.scan().to_arrow()
    earliest = reloaded.scan(snapshot_id=first_snapshot).to_arrow()
    s3 = pyarrow.fs.S3FileSystem(
        endpoint_override=endpoint,
        scheme="http",
        access_key="testing",
        secret_key="testing",
        region="us-east-1",
    )
    stored = s3.get_file_info(pyarrow.fs.FileSelector(f"{bucket}/warehouse", recursive=True))
    return {
        "metadata_location": reloaded.metadata_location.split("/")[0],
        "file_io": type(reloaded.io).__name__,
        "filtered_rows": filtered.num_rows,
        "columns": current.column_names,
        "rows": current.num_rows,
        "rows_with_note": current.filter(pc.is_valid(current["note"])).num_rows,
        "snapshots": len(reloaded.snapshots()),
        "first_snapshot_equal": [
            {key: row[key] for key in first.column_names} for row in rows(earliest)
        ]
        == rows(first),
        "parquet_files_in_bucket": sum(1 for info in stored if info.path.endswith(".parquet")),
    }


server, endpoint = start_s3_server()
try:
    run = f"run_{uuid.uuid4().hex[:8]}"
    bucket = run.replace("_", "-")
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/{bucket}", method="PUT")).close()
    print(json.dumps(round_trip(endpoint, bucket, run, FILE_IOS[sys.argv[1]])))
finally:
    server.terminate()
