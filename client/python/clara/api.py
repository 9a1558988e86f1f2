"""DatasetSearchAPI: the seed's methods over the clara extension's SQL functions.

Each call opens its own connection (psycopg 3) and closes it when done, so
calls may run concurrently. Errors the server raises (unknown filter key,
empty query, ...) are psycopg.Error subclasses with .sqlstate and .diag.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
from typing import Any, AsyncIterator, Dict, Iterable, Iterator, List, Optional, Tuple

import psycopg
from psycopg import pq, sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb, set_json_loads

from . import _dataset
from ._dataset import DatasetExport
from ._files import AtomicOutput
from .models import DatasetDocument, DatasetSearchQuery, ExactNumber, TrainingOptions, statistics


class ClaraError(Exception):
    """The database cannot serve Clara (no clara extension) or an argument is invalid."""


# jsonb numbers keep the server's text (see ExactNumber): documents read
# here write back byte-identical training lines.
_exact_json_loads = functools.partial(json.loads, parse_float=ExactNumber)


def _json_default(value: Any) -> Any:
    # The seed passes filters={"created_after": yesterday}: dates and
    # datetimes as ISO 8601, which the server's timestamp filters read.
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_json_dumps = functools.partial(json.dumps, default=_json_default)

_SCHEMA = sql.SQL(
    "SELECT n.nspname FROM pg_catalog.pg_extension e"
    " JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'clara'"
)
_ARGUMENTS = sql.SQL(
    "%(query)s, %(top_k)s::integer, %(min_quality)s::double precision, %(filters)s::jsonb,"
    " %(search_types)s::text[], %(weights)s::jsonb"
)
# clara_stream in the SELECT list streams (ProjectSet); in FROM the executor
# would run it to the end into a tuplestore first. OFFSET 0 keeps the
# subquery, so (s).* expands over one call per row, not one per column.
_STREAM = sql.SQL(
    "SELECT (s).rank, (s).document_id, (s).content, (s).metadata, (s).source, (s).quality_score,"
    " (s).relevance_score FROM (SELECT {schema}.clara_stream({arguments}, %(batch_size)s::integer) AS s OFFSET 0) x"
)
_SEARCH = sql.SQL(
    "SELECT rank, document_id, content, metadata, source, quality_score, relevance_score"
    " FROM {schema}.clara_search({arguments})"
)
# clara_stats takes the export's arguments (less batch_size and record), by name.
_STATS = sql.SQL(
    "SELECT {schema}.clara_stats({arguments}, tokenizer => %(tokenizer)s, chunk_tokens => %(chunk_tokens)s::integer,"
    " chunk_overlap => %(chunk_overlap)s::integer, format => %(format)s, prompt_template => %(prompt_template)s,"
    " text_template => %(text_template)s, split => %(split)s, split_seed => %(split_seed)s::bigint,"
    " token_budget => %(token_budget)s::bigint, dedup => %(dedup)s, exclude => %(exclude)s::text[],"
    " exclude_held_out => %(exclude_held_out)s::boolean, decontaminate => %(decontaminate)s::text[],"
    " decontaminate_mode => %(decontaminate_mode)s)"
)
# The export statement of the C++ client (client/jsonl_copy.cpp): COPY takes
# no bind parameters, so the arguments travel as bound parameters of
# set_config() (transaction-local) and the COPY reads them back. The CSV
# quote and delimiter never occur in a JSON line: the lines come out as the
# server built them.
_SET_ARGUMENTS = sql.SQL(
    "SELECT pg_catalog.set_config('clara_stream.query', %s, true),"
    " pg_catalog.set_config('clara_stream.top_k', %s, true),"
    " pg_catalog.set_config('clara_stream.min_quality', %s, true),"
    " pg_catalog.set_config('clara_stream.filters', %s, true),"
    " pg_catalog.set_config('clara_stream.search_types', %s, true),"
    " pg_catalog.set_config('clara_stream.weights', %s, true),"
    " pg_catalog.set_config('clara_stream.batch_size', %s, true),"
    " pg_catalog.set_config('clara_stream.tokenizer', %s, true),"
    " pg_catalog.set_config('clara_stream.chunk_tokens', %s, true),"
    " pg_catalog.set_config('clara_stream.chunk_overlap', %s, true),"
    " pg_catalog.set_config('clara_stream.format', %s, true),"
    " pg_catalog.set_config('clara_stream.prompt_template', %s, true),"
    " pg_catalog.set_config('clara_stream.text_template', %s, true),"
    " pg_catalog.set_config('clara_stream.split', %s, true),"
    " pg_catalog.set_config('clara_stream.split_seed', %s, true),"
    " pg_catalog.set_config('clara_stream.token_budget', %s, true),"
    " pg_catalog.set_config('clara_stream.dedup', %s, true),"
    " pg_catalog.set_config('clara_stream.record', %s, true),"
    " pg_catalog.set_config('clara_stream.exclude', %s, true),"
    " pg_catalog.set_config('clara_stream.exclude_held_out', %s, true),"
    " pg_catalog.set_config('clara_stream.decontaminate', %s, true),"
    " pg_catalog.set_config('clara_stream.decontaminate_mode', %s, true)"
)
# record writes the ledger in the export's own transaction: read-write even
# where default_transaction_read_only is on (the CLI does the same).
_READ_WRITE = sql.SQL("SET TRANSACTION READ WRITE")
_COPY = sql.SQL(
    "COPY (SELECT {schema}.clara_stream_jsonl("
    "pg_catalog.current_setting('clara_stream.query'),"
    " pg_catalog.current_setting('clara_stream.top_k')::integer,"
    " pg_catalog.current_setting('clara_stream.min_quality')::double precision,"
    " pg_catalog.current_setting('clara_stream.filters')::jsonb,"
    " pg_catalog.string_to_array(NULLIF(pg_catalog.current_setting('clara_stream.search_types'), ''), ','),"
    " NULLIF(pg_catalog.current_setting('clara_stream.weights'), '')::jsonb,"
    " pg_catalog.current_setting('clara_stream.batch_size')::integer,"
    " NULLIF(pg_catalog.current_setting('clara_stream.tokenizer'), ''),"
    " NULLIF(pg_catalog.current_setting('clara_stream.chunk_tokens'), '')::integer,"
    " pg_catalog.current_setting('clara_stream.chunk_overlap')::integer,"
    " pg_catalog.current_setting('clara_stream.format'),"
    " NULLIF(pg_catalog.current_setting('clara_stream.prompt_template'), ''),"
    " NULLIF(pg_catalog.current_setting('clara_stream.text_template'), ''),"
    " NULLIF(pg_catalog.current_setting('clara_stream.split'), ''),"
    " pg_catalog.current_setting('clara_stream.split_seed')::bigint, NULL,"
    " NULLIF(pg_catalog.current_setting('clara_stream.token_budget'), '')::bigint,"
    " NULLIF(pg_catalog.current_setting('clara_stream.dedup'), ''),"
    " NULLIF(pg_catalog.current_setting('clara_stream.record'), ''),"
    " ARRAY(SELECT pg_catalog.jsonb_array_elements_text(pg_catalog.current_setting('clara_stream.exclude')::jsonb)),"
    " pg_catalog.current_setting('clara_stream.exclude_held_out')::boolean,"
    " decontaminate => ARRAY(SELECT pg_catalog.jsonb_array_elements_text("
    "pg_catalog.current_setting('clara_stream.decontaminate')::jsonb)),"
    " decontaminate_mode => pg_catalog.current_setting('clara_stream.decontaminate_mode')))"
    " TO STDOUT WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
)

_MAX_BATCH_SIZE = 100000  # the extension's clara.streaming_batch_size range


def _check_query(query: DatasetSearchQuery) -> None:
    if not isinstance(query, DatasetSearchQuery):
        raise ClaraError(f"query must be a DatasetSearchQuery, not {type(query).__name__}")
    if query.search_types is not None and any("," in t for t in query.search_types):
        raise ClaraError("search type names must not contain ','")


def _check_batch_size(batch_size: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= _MAX_BATCH_SIZE:
        raise ClaraError(f"batch_size must be an integer between 1 and {_MAX_BATCH_SIZE}, not {batch_size!r}")


def _parameters(query: DatasetSearchQuery, batch_size: Optional[int] = None) -> Dict[str, Any]:
    return {
        "query": query.query_text,
        "top_k": query.top_k,
        "min_quality": float(query.min_quality_score),
        "filters": Jsonb(dict(query.filters or {}), dumps=_json_dumps),
        "search_types": list(query.search_types) if query.search_types is not None else None,
        "weights": Jsonb(dict(query.weights), dumps=_json_dumps) if query.weights is not None else None,
        "batch_size": batch_size,
    }


def _stats_parameters(query: DatasetSearchQuery, training: Optional[TrainingOptions]) -> Dict[str, Any]:
    t = training or TrainingOptions()
    if t.record is not None:
        raise ValueError("record files an export in the ledger: statistics write nothing (leave record None)")
    return {
        **_parameters(query),
        "tokenizer": t.tokenizer,
        "chunk_tokens": t.chunk_tokens,
        "chunk_overlap": t.chunk_overlap,
        "format": t.format,
        "prompt_template": t.prompt_template,
        "text_template": t.text_template,
        "split": t.split,
        "split_seed": t.split_seed,
        "token_budget": t.token_budget,
        "dedup": t.dedup,
        "exclude": list(t.exclude),
        "exclude_held_out": t.exclude_held_out,
        "decontaminate": list(t.decontaminate),
        "decontaminate_mode": t.decontaminate_mode,
    }


def _set_arguments(query: DatasetSearchQuery, batch_size: int,
                   training: Optional[TrainingOptions] = None) -> Tuple[str, ...]:
    t = training or TrainingOptions()
    optional = lambda v: "" if v is None else str(v)  # noqa: E731 -- "" is NULL on the server
    return (
        query.query_text,
        str(query.top_k),
        repr(float(query.min_quality_score)),  # repr round-trips a double exactly
        _json_dumps(dict(query.filters or {})),
        ",".join(query.search_types) if query.search_types is not None else "",
        _json_dumps(dict(query.weights)) if query.weights is not None else "",
        str(batch_size),
        optional(t.tokenizer),
        optional(t.chunk_tokens),
        str(t.chunk_overlap),
        t.format,
        optional(t.prompt_template),
        optional(t.text_template),
        optional(t.split),
        str(t.split_seed),
        optional(t.token_budget),
        optional(t.dedup),
        optional(t.record),
        _json_dumps(list(t.exclude)),
        "true" if t.exclude_held_out else "false",
        _json_dumps(list(t.decontaminate)),
        t.decontaminate_mode,
    )


def _document(row) -> DatasetDocument:
    rank, document_id, content, metadata, source, quality_score, relevance_score = row
    return DatasetDocument(document_id=document_id, content=content, metadata=metadata, score=relevance_score,
                           quality_score=quality_score, source=source, rank=rank)


def _schema_or_raise(row, conn) -> sql.Identifier:
    if row is None:
        raise ClaraError(f'database "{conn.info.dbname}" does not have the clara extension '
                         "(run CREATE EXTENSION clara in it)")
    return sql.Identifier(row[0])


class DatasetSearchAPI:
    """The seed's DatasetSearchAPI.

    dsn: a libpq connection string or URI, or a database name; None means
    $CLARA_DSN, else libpq's environment (PGHOST, PGDATABASE, ...), like the
    CLI. Async methods (the seed's) and *_sync equivalents for scripts.
    """

    def __init__(self, dsn: Optional[str] = None, *, application_name: str = "clara-python"):
        self.dsn = dsn if dsn is not None else os.environ.get("CLARA_DSN", "")
        self.application_name = application_name

    # -- connections -------------------------------------------------------

    def _conninfo(self) -> str:
        dsn = self.dsn
        if dsn and "=" not in dsn and not dsn.startswith(("postgresql://", "postgres://")):
            dsn = make_conninfo(dbname=dsn)  # a bare database name, as the CLI accepts it
        given = conninfo_to_dict(dsn)
        extra: Dict[str, Any] = {"client_encoding": "UTF8", "fallback_application_name": self.application_name}
        if "connect_timeout" not in given and "PGCONNECT_TIMEOUT" not in os.environ:
            extra["connect_timeout"] = 10  # libpq would wait forever
        return make_conninfo(dsn, **extra)

    def _connect(self) -> psycopg.Connection:
        conn = psycopg.connect(self._conninfo())
        set_json_loads(_exact_json_loads, conn)
        return conn

    async def _aconnect(self) -> psycopg.AsyncConnection:
        conn = await psycopg.AsyncConnection.connect(self._conninfo())
        set_json_loads(_exact_json_loads, conn)
        return conn

    @staticmethod
    def _cancel_running(conn) -> None:
        # A statement still running (an exception or a cancelled task
        # mid-fetch) is cancelled first, so the server stops now rather than
        # when it notices the closed socket.
        if not conn.closed and conn.info.transaction_status == pq.TransactionStatus.ACTIVE:
            try:
                conn.cancel()
            except psycopg.Error:
                pass

    @classmethod
    def _close(cls, conn: psycopg.Connection) -> None:
        cls._cancel_running(conn)
        conn.close()

    @classmethod
    async def _aclose(cls, conn: psycopg.AsyncConnection) -> None:
        cls._cancel_running(conn)
        await conn.close()

    def _schema(self, conn: psycopg.Connection) -> sql.Identifier:
        return _schema_or_raise(conn.execute(_SCHEMA).fetchone(), conn)

    async def _aschema(self, conn: psycopg.AsyncConnection) -> sql.Identifier:
        cur = await conn.execute(_SCHEMA)
        return _schema_or_raise(await cur.fetchone(), conn)

    # -- streaming ---------------------------------------------------------

    async def stream_datasets(self, query: DatasetSearchQuery, batch_size: int = 100) -> AsyncIterator[DatasetDocument]:
        """Documents as the server ranks them, read batch_size at a time
        from a server-side cursor: each document once, in rank order, the
        first before the last is read, memory independent of top_k.

        Leaving early closes the cursor: break inside
        `async with contextlib.aclosing(api.stream_datasets(...)) as docs:`
        (or let the generator be collected), or cancel the task.
        """
        _check_query(query)
        _check_batch_size(batch_size)
        conn = await self._aconnect()
        try:
            schema = await self._aschema(conn)
            cursor = conn.cursor(name="clara_stream")
            cursor.itersize = batch_size
            await cursor.execute(_STREAM.format(schema=schema, arguments=_ARGUMENTS), _parameters(query, batch_size))
            async for row in cursor:
                yield _document(row)
            await cursor.close()
            await conn.commit()
        finally:
            await self._aclose(conn)

    def stream_datasets_sync(self, query: DatasetSearchQuery, batch_size: int = 100) -> Iterator[DatasetDocument]:
        """stream_datasets for synchronous code (a generator)."""
        _check_query(query)
        _check_batch_size(batch_size)
        conn = self._connect()
        try:
            schema = self._schema(conn)
            cursor = conn.cursor(name="clara_stream")
            cursor.itersize = batch_size
            cursor.execute(_STREAM.format(schema=schema, arguments=_ARGUMENTS), _parameters(query, batch_size))
            for row in cursor:
                yield _document(row)
            cursor.close()
            conn.commit()
        finally:
            self._close(conn)

    async def stream_to_jsonl(self, query: DatasetSearchQuery, output_path: "os.PathLike[str] | str",
                              batch_size: int = 100, training: Optional[TrainingOptions] = None) -> int:
        """Writes the query's training lines to output_path; returns how many.

        The lines are the server's (clara_stream_jsonl through COPY), the
        same bytes as `clara-stream --output` and the HTTP API. The file
        appears only complete: written as output_path.partial, fsynced,
        renamed; on any failure the partial file is removed.
        """
        _check_query(query)
        _check_batch_size(batch_size)
        conn = await self._aconnect()
        try:
            schema = await self._aschema(conn)
            with AtomicOutput(output_path) as out:
                rows = 0
                async with conn.cursor() as cur:
                    if training is not None and training.record is not None:
                        await cur.execute(_READ_WRITE)
                    await cur.execute(_SET_ARGUMENTS, _set_arguments(query, batch_size, training))
                    async with cur.copy(_COPY.format(schema=schema)) as copy:
                        async for block in copy:
                            data = bytes(block)
                            out.write(data)
                            rows += data.count(b"\n")
                await conn.commit()
                out.commit()
                return rows
        finally:
            await self._aclose(conn)

    def stream_to_jsonl_sync(self, query: DatasetSearchQuery, output_path: "os.PathLike[str] | str",
                             batch_size: int = 100, training: Optional[TrainingOptions] = None) -> int:
        """stream_to_jsonl for synchronous code."""
        _check_query(query)
        _check_batch_size(batch_size)
        conn = self._connect()
        try:
            schema = self._schema(conn)
            with AtomicOutput(output_path) as out:
                rows = 0
                with conn.cursor() as cur:
                    if training is not None and training.record is not None:
                        cur.execute(_READ_WRITE)
                    cur.execute(_SET_ARGUMENTS, _set_arguments(query, batch_size, training))
                    with cur.copy(_COPY.format(schema=schema)) as copy:
                        for block in copy:
                            data = bytes(block)
                            out.write(data)
                            rows += data.count(b"\n")
                conn.commit()
                out.commit()
                return rows
        finally:
            self._close(conn)

    # -- dataset directories -------------------------------------------------

    def _dataset_command(self, query: DatasetSearchQuery, directory: "os.PathLike[str] | str",
                         training: Optional[TrainingOptions], compression: str, shard_size: "str | int",
                         resume: bool, batch_size: int,
                         clara_stream: "Optional[os.PathLike[str] | str]") -> Tuple[List[str], Dict[str, str], str]:
        _check_query(query)
        if training is not None and not isinstance(training, TrainingOptions):
            raise ValueError(f"training must be a TrainingOptions (or None), not {type(training).__name__}")
        _dataset.check_dataset_options(compression, shard_size, resume, batch_size)
        path = os.fspath(directory)
        if not isinstance(path, str) or not path or "\x00" in path:
            raise ValueError("directory must be a non-empty path")
        binary = _dataset.find_clara_stream(clara_stream)
        args = _dataset.dataset_arguments(query, path, training, compression, shard_size, resume, batch_size,
                                          _json_dumps)
        return [binary, *args], _dataset.child_environment(self.dsn), path

    async def export_dataset(self, query: DatasetSearchQuery, directory: "os.PathLike[str] | str", *,
                             training: Optional[TrainingOptions] = None, compression: str = "none",
                             shard_size: "str | int" = "512MB", resume: bool = False, batch_size: int = 100,
                             clara_stream: "Optional[os.PathLike[str] | str]" = None) -> DatasetExport:
        """Writes a dataset directory: shards per split in Hugging Face's
        naming (train-00000-of-00002.jsonl.zst ...), manifest.json (sha256 of
        every file, counts per split, the database snapshot) and a dataset
        card README.md, by running `clara-stream --output-dir` (the one
        implementation; the same bytes as the CLI's). The directory appears
        only complete (DIR.partial until then); resume=True continues the
        DIR.partial an interrupted export left.

        compression: none, gzip or zstd; shard_size: bytes of text per shard
        (an int, or "512MB", "1G"). clara_stream: the binary, default
        $CLARA_STREAM, then clara-stream on PATH. The connection (this API's
        dsn) goes to the child in CLARA_DSN, never on its command line.

        Returns a DatasetExport read from manifest.json. A non-zero exit
        raises ClaraStreamError (exit_code, reason; subclasses per exit
        code, e.g. ResumeRefused for 8). Cancelling the task stops the child
        (SIGINT, then SIGTERM) before the cancellation goes on.
        """
        command, env, path = self._dataset_command(query, directory, training, compression, shard_size, resume,
                                                   batch_size, clara_stream)
        return await _dataset.run_async(command, env, path)

    def export_dataset_sync(self, query: DatasetSearchQuery, directory: "os.PathLike[str] | str", *,
                            training: Optional[TrainingOptions] = None, compression: str = "none",
                            shard_size: "str | int" = "512MB", resume: bool = False, batch_size: int = 100,
                            clara_stream: "Optional[os.PathLike[str] | str]" = None) -> DatasetExport:
        """export_dataset for synchronous code; KeyboardInterrupt stops the child first."""
        command, env, path = self._dataset_command(query, directory, training, compression, shard_size, resume,
                                                   batch_size, clara_stream)
        return _dataset.run_sync(command, env, path)

    # -- batch -------------------------------------------------------------

    async def search_datasets(self, query: DatasetSearchQuery) -> List[DatasetDocument]:
        """All documents of the query at once (clara_search): the same rows
        as stream_datasets, held in memory. For small results."""
        _check_query(query)
        conn = await self._aconnect()
        try:
            schema = await self._aschema(conn)
            cur = await conn.execute(_SEARCH.format(schema=schema, arguments=_ARGUMENTS), _parameters(query))
            documents = [_document(row) for row in await cur.fetchall()]
            await conn.commit()
            return documents
        finally:
            await self._aclose(conn)

    def search_datasets_sync(self, query: DatasetSearchQuery) -> List[DatasetDocument]:
        """search_datasets for synchronous code."""
        _check_query(query)
        conn = self._connect()
        try:
            schema = self._schema(conn)
            documents = [_document(row) for row in conn.execute(_SEARCH.format(schema=schema, arguments=_ARGUMENTS),
                                                                _parameters(query)).fetchall()]
            conn.commit()
            return documents
        finally:
            self._close(conn)

    def export_to_jsonl(self, documents: Iterable[DatasetDocument], path: "os.PathLike[str] | str") -> int:
        """Writes documents as training lines (the server's format, byte for
        byte); returns how many. Any iterable; the file appears only complete."""
        with AtomicOutput(path) as out:
            count = 0
            for doc in documents:
                out.write(doc.to_training_format().encode("utf-8") + b"\n")
                count += 1
            out.commit()
            return count

    # -- statistics --------------------------------------------------------

    def get_statistics(self, documents: Iterable[DatasetDocument]) -> Dict[str, Any]:
        """The seed's get_statistics over documents already retrieved:
        total_documents, avg_quality_score, avg_relevance_score, total_tokens
        (the server's estimate, token_count "estimate"), total_words
        (whitespace-separated words), domains, document_types."""
        return statistics(documents)

    async def get_query_statistics(self, query: DatasetSearchQuery,
                                   training: Optional[TrainingOptions] = None) -> Dict[str, Any]:
        """The server's statistics (clara_stats) of what stream_to_jsonl with
        the same query and training options would write: total_tokens counted
        by training.tokenizer (token_count "tokenizer:NAME") or estimated
        ("estimate"), total_words, splits (documents, lines, tokens per
        split), removed (documents each step kept out), and the seed's keys.
        training.record must be None (statistics record nothing)."""
        _check_query(query)
        parameters = _stats_parameters(query, training)
        conn = await self._aconnect()
        try:
            schema = await self._aschema(conn)
            cur = await conn.execute(_STATS.format(schema=schema, arguments=_ARGUMENTS), parameters)
            (result,) = await cur.fetchone()
            await conn.commit()
            return result
        finally:
            await self._aclose(conn)

    def get_query_statistics_sync(self, query: DatasetSearchQuery,
                                  training: Optional[TrainingOptions] = None) -> Dict[str, Any]:
        """get_query_statistics for synchronous code."""
        _check_query(query)
        parameters = _stats_parameters(query, training)
        conn = self._connect()
        try:
            (result,) = conn.execute(_STATS.format(schema=self._schema(conn), arguments=_ARGUMENTS),
                                     parameters).fetchone()
            conn.commit()
            return result
        finally:
            self._close(conn)
