"""pyiceberg: a table in a SQL catalog (SQLite) on a local warehouse, Arrow data appended and
scanned back, with a filtered scan. Prints JSON."""

import json
import tempfile

import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog

warehouse = tempfile.mkdtemp()
catalog = SqlCatalog(
    "default", uri=f"sqlite:///{warehouse}/catalog.db", warehouse=f"file://{warehouse}"
)
catalog.create_namespace("sales")
data = pa.table(
    {
        "id": pa.array(range(500), pa.int64()),
        "amount": pa.array([i * 0.25 for i in range(500)], pa.float64()),
        "region": pa.array(["north", "south"] * 250, pa.string()),
    }
)
table = catalog.create_table("sales.orders", schema=data.schema)
table.append(data)
table.append(data.slice(0, 100))

scanned = catalog.load_table("sales.orders").scan().to_arrow().sort_by("id")
expected = pa.concat_tables([data, data.slice(0, 100)]).sort_by("id")
north = table.scan(row_filter="region == 'north' and id < 100").to_arrow()
print(
    json.dumps(
        {
            "rows": scanned.num_rows,
            "scan_equal": scanned.equals(expected),
            "filtered_rows": north.num_rows,
            "snapshots": len(table.refresh().snapshots()),
        }
    )
)
