"""get_statistics over documents next to clara_stats over the query, and
the seed's example working as written."""

import asyncio
import math

from clara import DatasetSearchAPI, DatasetSearchQuery


def test_query_statistics_are_clara_stats(api, db):
    query = DatasetSearchQuery("Verwaltungsrecht Photovoltaik", top_k=500, min_quality_score=0.6,
                               filters={"document_type": "urteil"})
    expected = db.execute("SELECT clara_stats('Verwaltungsrecht Photovoltaik', 500, 0.6, '{\"document_type\": \"urteil\"}')"
                          ).fetchone()[0]
    assert asyncio.run(api.get_query_statistics(query)) == expected
    assert api.get_query_statistics_sync(query) == expected


def test_statistics_of_documents_agree_with_the_server(api):
    query = DatasetSearchQuery("Baurecht Dachanlage", top_k=1000, min_quality_score=0.5)
    docs = api.search_datasets_sync(query)
    mine = api.get_statistics(docs)
    server = api.get_query_statistics_sync(query)
    assert mine["total_documents"] == server["total_documents"] == len(docs)
    assert mine["domains"] == server["domains"]
    assert mine["document_types"] == server["document_types"]
    assert math.isclose(mine["avg_quality_score"], server["avg_quality_score"], rel_tol=1e-9)
    assert math.isclose(mine["avg_relevance_score"], server["avg_relevance_score"], rel_tol=1e-9)
    # Tokens: the same estimate on both sides (ceil(UTF-8 bytes / 3.7) of each text).
    assert mine["total_tokens"] == server["total_tokens"] > 0
    assert mine["token_count"] == server["token_count"] == "estimate"
    assert mine["total_words"] > 0  # whitespace words; the server counts the quality signals' words


def test_statistics_of_nothing():
    stats = DatasetSearchAPI(dsn="dbname=unused").get_statistics([])
    assert stats == {"total_documents": 0, "avg_quality_score": 0.0, "avg_relevance_score": 0.0,
                     "total_tokens": 0, "token_count": "estimate", "total_words": 0, "domains": {},
                     "document_types": {}}


def test_the_seeds_example(dsn, tmp_path, monkeypatch):
    """The seed's Python example (STREAMING_JSONL_RETRIEVAL.md), with the
    import from clara and the DSN given to DatasetSearchAPI."""
    monkeypatch.chdir(tmp_path)
    processed = []

    def train_lora_adapter(doc):
        processed.append(doc.document_id)

    async def main():
        from clara import DatasetSearchAPI, DatasetSearchQuery

        # Initialize API
        api = DatasetSearchAPI(dsn=dsn)

        # Create query
        query = DatasetSearchQuery(
            query_text="Verwaltungsrecht Photovoltaik",
            top_k=5000,
            min_quality_score=0.6
        )

        # Stream to file (memory-efficient)
        count = await api.stream_to_jsonl(
            query=query,
            output_path="data/training.jsonl",
            batch_size=100
        )

        # Or stream manually for custom processing
        async for doc in api.stream_datasets(query, batch_size=100):
            # Process each document immediately
            train_lora_adapter(doc)
        return count

    count = asyncio.run(main())
    assert count == len(processed) > 0
    lines = (tmp_path / "data" / "training.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == count
    assert len(set(processed)) == count
