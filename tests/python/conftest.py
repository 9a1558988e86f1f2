"""Fixtures for the Python package's tests against a real cluster.

tests/integration/python.sh creates a database with the generated corpus,
sets CLARA_TEST_DSN and PYTHONPATH=client/python, and runs pytest. The
special documents below (metadata with every JSON type, control characters,
NULL source) are added once per session; the query terms that find them
("Zitronenfalter", "Schmetterlingswiese") do not occur in the generated corpus.
"""

import json
import os
import pathlib

import psycopg
import pytest

from clara import DatasetSearchAPI

REPO = pathlib.Path(__file__).resolve().parents[2]
CLARA_STREAM = REPO / "build" / "clara-stream"

SPECIAL_DOCUMENTS = [
    # document_id, content, source, metadata (as jsonb text: numbers as written)
    ("special-floats", "Zitronenfalter fliegen früh im Jahr über die Schmetterlingswiese. " * 8, "natur",
     '{"ratio": 1.50, "tiny": 0.00000015, "big": 12345678901234567890, "neg": -0.5, "exp": 1e3,'
     ' "int": 42, "zero": 0.0, "pi": 3.141592653589793238462643}'),
    ("special-nested", "Der Zitronenfalter überwintert als Falter; die Schmetterlingswiese bleibt ungemäht. " * 8,
     None,
     '{"nested": {"list": [1, 2.0, "drei", null, true, false, {"x": []}], "empty": {}},'
     ' "quote": "a \\"b\\" c\\\\d", "ümlaut": "Grüße 😀", "ctl": "tab\\tnl\\ncr\\r\\u0001\\u001f"}'),
    ("special-text", "Zitronenfalter\n\tmit \"Anführungszeichen\", Backslash \\ und \u0001\u001f Steuerzeichen "
     "auf der Schmetterlingswiese, dazu DEL \x7f und U+2028 \u2028 und Emoji 😀. " * 6, "quelle \"x\"", "{}"),
]


def pytest_configure(config):
    if not os.environ.get("CLARA_TEST_DSN"):
        raise pytest.UsageError("CLARA_TEST_DSN is not set: run tests/integration/python.sh (make test)")


@pytest.fixture(scope="session")
def dsn():
    return os.environ["CLARA_TEST_DSN"]


@pytest.fixture(scope="session")
def db(dsn):
    """A plain psycopg connection for the reference queries (autocommit)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session", autouse=True)
def special_documents(db):
    with db.cursor() as cur:
        for document_id, content, source, metadata in SPECIAL_DOCUMENTS:
            cur.execute(
                "INSERT INTO clara_documents (document_id, title, content, domain, document_type, source, metadata)"
                " VALUES (%s, %s, %s, 'naturschutzrecht', 'merkblatt', %s, %s::jsonb)"
                " ON CONFLICT (document_id) DO NOTHING",
                (document_id, "Zitronenfalter " + document_id, content, source, metadata))
    return [d[0] for d in SPECIAL_DOCUMENTS]


@pytest.fixture()
def api(dsn):
    return DatasetSearchAPI(dsn=dsn)


def server_lines(db, query, top_k, min_quality, filters=None, batch_size=100, search_types=None):
    """clara_stream_jsonl's lines for a query, through psycopg (the reference)."""
    rows = db.execute(
        "SELECT clara_stream_jsonl(%s, %s::integer, %s::float8, %s::jsonb, %s::text[], NULL, %s::integer)",
        (query, top_k, min_quality, json.dumps(filters or {}), search_types, batch_size)).fetchall()
    return [r[0] for r in rows]
