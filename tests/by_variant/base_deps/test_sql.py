"""SQLAlchemy and psycopg2 talk to a real PostgreSQL server."""

import json


def test_sqlalchemy_psycopg2_round_trip(run, postgres):
    result = json.loads(run("python3", "/units/sql_roundtrip.py", networks=[postgres]))
    assert result["driver"] == "psycopg2"
    assert result["round_trip_equal"], "pandas.read_sql(to_sql(frame)) != frame"
    assert result["totals"] == {
        "Oslo": 1.25 * sum(range(0, 100, 2)),
        "Lima": 1.25 * sum(range(1, 100, 2)),
    }
