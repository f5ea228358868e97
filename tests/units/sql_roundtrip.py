"""SQLAlchemy + psycopg2 against PostgreSQL at 127.0.0.1: a table written by pandas through
SQLAlchemy, read back, and an aggregate computed by the server. Prints JSON."""

import json

import pandas as pd
import sqlalchemy as sa

engine = sa.create_engine("postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
frame = pd.DataFrame(
    {"id": range(100), "amount": [i * 1.25 for i in range(100)], "city": ["Oslo", "Lima"] * 50}
)
with engine.begin() as connection:
    frame.to_sql("payments", connection, if_exists="replace", index=False)
with engine.connect() as connection:
    back = pd.read_sql("SELECT id, amount, city FROM payments ORDER BY id", connection)
    totals = dict(
        connection.execute(sa.text("SELECT city, SUM(amount) FROM payments GROUP BY city")).all()
    )
    server = connection.execute(sa.text("SHOW server_version")).scalar()
print(
    json.dumps(
        {
            "round_trip_equal": bool(back.equals(frame)),
            "totals": {city: float(total) for city, total in totals.items()},
            "driver": engine.dialect.driver,
            "server": server,
        }
    )
)
