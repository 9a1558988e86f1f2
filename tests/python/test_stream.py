"""stream_datasets: exactly clara_stream's rows, once each, in order, with
flat memory; leaving early closes the cursor on the server."""

import asyncio
import contextlib
import time
import tracemalloc

import psycopg
import pytest

from clara import ClaraError, DatasetSearchAPI, DatasetSearchQuery

BIG = "Verwaltungsrecht Baurecht Umweltrecht Energierecht Bescheid Urteil Genehmigung"


@pytest.fixture(autouse=True)
def no_stream_connections(db):
    """Each test starts with no clara-python connection left (they close asynchronously)."""
    assert wait_closed(db), "a connection of an earlier test is still open"


def reference_rows(db, query: DatasetSearchQuery):
    return db.execute(
        "SELECT rank, document_id, content, metadata, source, quality_score, relevance_score"
        " FROM clara_stream(%s, %s::integer, %s::float8, %s::jsonb)",
        (query.query_text, query.top_k, query.min_quality_score, psycopg.types.json.Jsonb(query.filters or {}))
    ).fetchall()


def as_rows(docs):
    return [(d.rank, d.document_id, d.content, d.metadata, d.source, d.quality_score, d.score) for d in docs]


async def collect(api, query, batch_size=100):
    return [doc async for doc in api.stream_datasets(query, batch_size=batch_size)]


@pytest.mark.parametrize("batch_size", [1, 100, 5000])
def test_stream_yields_exactly_clara_streams_rows(api, db, batch_size):
    query = DatasetSearchQuery("Photovoltaik Genehmigung", top_k=2000, min_quality_score=0.5)
    docs = asyncio.run(collect(api, query, batch_size))
    assert as_rows(docs) == reference_rows(db, query)
    assert [d.rank for d in docs] == list(range(1, len(docs) + 1))
    assert len(docs) == 2000


def test_filters_and_the_whole_corpus_without_duplicates(api, db):
    query = DatasetSearchQuery(BIG, top_k=1_000_000, min_quality_score=0.0, filters={"document_type": ["urteil", "bescheid"]})
    docs = asyncio.run(collect(api, query, 1000))
    ids = [d.document_id for d in docs]
    assert len(ids) == len(set(ids))
    assert len(ids) == db.execute("SELECT count(*) FROM clara_search(%s, 1000000, 0, %s::jsonb)",
                                  (BIG, '{"document_type": ["urteil", "bescheid"]}')).fetchone()[0]
    assert {d.metadata["document_type"] for d in docs} == {"urteil", "bescheid"}


def test_date_filters_like_the_seeds(api):
    # The seed's example: filters={"created_after": yesterday}
    import datetime
    as_text = DatasetSearchQuery("Genehmigung", top_k=500, filters={"created_after": "2015-06-01"})
    as_date = DatasetSearchQuery("Genehmigung", top_k=500, filters={"created_after": datetime.date(2015, 6, 1)})
    as_datetime = DatasetSearchQuery("Genehmigung", top_k=500,
                                     filters={"created_after": datetime.datetime(2015, 6, 1, tzinfo=datetime.timezone.utc)})
    expected = [d.document_id for d in api.stream_datasets_sync(as_text)]
    assert 0 < len(expected)
    assert [d.document_id for d in api.search_datasets_sync(as_date)] == expected
    assert [d.document_id for d in api.stream_datasets_sync(as_datetime)] == expected


def test_sync_stream_matches(api, db):
    query = DatasetSearchQuery("Baurecht Dachanlage", top_k=300, min_quality_score=0.7, filters={"domain": "baurecht"})
    assert as_rows(api.stream_datasets_sync(query, batch_size=50)) == reference_rows(db, query)


def test_first_document_before_the_last_is_read(api, db):
    # With a server-side cursor the first document arrives after one batch:
    # at that moment the stream's backend sits between FETCHes with its
    # cursor open, and nearly all documents are still to come. Checked by
    # state, not by time: a timed ratio fails on a loaded machine.
    query = DatasetSearchQuery(BIG, top_k=1_000_000, min_quality_score=0.0)

    async def run():
        seen_at_first = None
        count = 0
        async for _ in api.stream_datasets(query, batch_size=100):
            if seen_at_first is None:
                seen_at_first = db.execute(
                    "SELECT state, query FROM pg_stat_activity"
                    " WHERE application_name = 'clara-python' AND pid <> pg_backend_pid()").fetchall()
            count += 1
        return seen_at_first, count

    seen_at_first, count = asyncio.run(run())
    assert count > 10000
    assert len(seen_at_first) == 1, seen_at_first
    state, statement = seen_at_first[0]
    assert state == "idle in transaction", seen_at_first
    assert statement.upper().startswith("FETCH FORWARD 100 FROM"), seen_at_first


def test_memory_is_flat(api):
    """Python memory over a stream does not grow with the number of documents."""
    def peak(top_k):
        query = DatasetSearchQuery(BIG, top_k=top_k, min_quality_score=0.0)
        tracemalloc.start()
        try:
            count = 0
            for doc in api.stream_datasets_sync(query, batch_size=100):
                count += 1
            return count, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small_count, small_peak = peak(1000)
    large_count, large_peak = peak(1_000_000)
    assert small_count == 1000 and large_count > 15000
    # one batch of rows plus the interpreter's noise: not per document
    assert large_peak - small_peak < 1_000_000, (small_peak, large_peak)
    assert large_peak < 3_000_000, large_peak


def serve_backends(db, application_name="clara-python"):
    return db.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND pid <> pg_backend_pid()",
                      (application_name,)).fetchone()[0]


def wait_closed(db, seconds=2.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if serve_backends(db) == 0:
            return True
        time.sleep(0.05)
    return False


def test_aclose_closes_the_cursor(api, db):
    async def run():
        query = DatasetSearchQuery(BIG, top_k=1_000_000, min_quality_score=0.0)
        async with contextlib.aclosing(api.stream_datasets(query, batch_size=10)) as docs:
            async for doc in docs:
                assert serve_backends(db) == 1  # the stream's connection, its cursor open
                cursors = db.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'clara-python'"
                                     " AND state = 'idle in transaction'").fetchone()[0]
                assert cursors == 1
                break
        return wait_closed(db, 1.0)

    assert asyncio.run(run())  # closed by aclose, before the event loop ends


def test_break_without_aclosing_closes_when_collected(api, db):
    async def run():
        query = DatasetSearchQuery(BIG, top_k=1_000_000, min_quality_score=0.0)
        async for doc in api.stream_datasets(query, batch_size=10):
            break
        # the generator is unreferenced now: asyncio finalises it soon
        for _ in range(50):
            await asyncio.sleep(0.02)
            if serve_backends(db) == 0:
                return True
        return False

    assert asyncio.run(run())


def test_cancelling_the_task_cancels_the_query(api, db):
    async def consume(started):
        query = DatasetSearchQuery(BIG, top_k=1_000_000, min_quality_score=0.0)
        async for doc in api.stream_datasets(query, batch_size=5000):
            started.set()
            await asyncio.sleep(0)  # a consumer doing work between documents

    async def run():
        started = asyncio.Event()
        task = asyncio.create_task(consume(started))
        await started.wait()
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    assert wait_closed(db), "the stream's connection is still open after the task was cancelled"


def test_sync_generator_closes_on_break(api, db):
    query = DatasetSearchQuery(BIG, top_k=1_000_000, min_quality_score=0.0)
    gen = api.stream_datasets_sync(query, batch_size=10)
    next(gen)
    assert serve_backends(db) == 1
    gen.close()
    assert wait_closed(db, 1.0)


def test_server_errors_are_psycopg_errors(api, db):
    query = DatasetSearchQuery("Genehmigung", filters={"colour": "blue"})
    with pytest.raises(psycopg.errors.InvalidParameterValue) as err:
        asyncio.run(collect(api, query))
    assert 'unknown filter key "colour"' in str(err.value)
    assert wait_closed(db)


def test_argument_errors():
    with pytest.raises(ValueError):
        DatasetSearchQuery("")
    with pytest.raises(ValueError):
        DatasetSearchQuery("x", top_k=0)
    with pytest.raises(ValueError):
        DatasetSearchQuery("x", top_k=True)
    with pytest.raises(ValueError):
        DatasetSearchQuery("x", min_quality_score=1.5)
    with pytest.raises(ValueError):
        DatasetSearchQuery("x", filters=[("domain", "a")])
    with pytest.raises(ValueError):
        DatasetSearchQuery("x", search_types="keyword")
    api = DatasetSearchAPI(dsn="dbname=unused")
    with pytest.raises(ClaraError):
        next(api.stream_datasets_sync(DatasetSearchQuery("x"), batch_size=0))


def test_missing_extension(dsn, db):
    name = db.execute("SELECT current_database()").fetchone()[0] + "_noext"
    db.execute(f'DROP DATABASE IF EXISTS "{name}"')
    db.execute(f'CREATE DATABASE "{name}"')
    try:
        other = psycopg.conninfo.make_conninfo(dsn, dbname=name)
        with pytest.raises(ClaraError, match="does not have the clara extension"):
            DatasetSearchAPI(dsn=other).search_datasets_sync(DatasetSearchQuery("x"))
    finally:
        db.execute(f'DROP DATABASE "{name}"')
