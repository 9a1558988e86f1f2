"""DatasetDocument.to_training_format() writes the server's bytes."""

import json
import math

import pytest

from clara import DatasetDocument, DatasetSearchQuery, ExactNumber, training_line
from conftest import server_lines


def test_special_documents_are_byte_identical(api, db, special_documents):
    # Keyword search: only these documents contain the words (vector search
    # would add the nearest others).
    query = DatasetSearchQuery("Zitronenfalter Schmetterlingswiese", top_k=10, min_quality_score=0.0,
                               search_types=["keyword"])
    docs = list(api.stream_datasets_sync(query))
    assert sorted(d.document_id for d in docs) == sorted(special_documents)
    expected = server_lines(db, query.query_text, 10, 0.0, search_types=["keyword"])
    assert [d.to_training_format() for d in docs] == expected


def test_metadata_numbers_keep_the_servers_text(api, special_documents):
    docs = {d.document_id: d for d in api.search_datasets_sync(
        DatasetSearchQuery("Zitronenfalter", top_k=10, min_quality_score=0.0))}
    meta = docs["special-floats"].metadata
    assert isinstance(meta["ratio"], ExactNumber) and meta["ratio"].text == "1.50" and meta["ratio"] == 1.5
    assert meta["tiny"].text == "0.00000015"
    assert meta["pi"].text == "3.141592653589793238462643"
    assert meta["big"] == 12345678901234567890 and isinstance(meta["big"], int)
    assert meta["exp"] == 1000 and isinstance(meta["exp"], int)  # jsonb stores 1e3 as 1000
    # plain json still serialises them (as floats)
    assert json.loads(json.dumps(meta))["ratio"] == 1.5


def test_a_sample_of_the_corpus_is_byte_identical(api, db):
    query = DatasetSearchQuery("Verwaltungsrecht Baurecht Umweltrecht Energierecht", top_k=3000, min_quality_score=0.0)
    lines = [d.to_training_format() for d in api.stream_datasets_sync(query, batch_size=500)]
    assert len(lines) == 3000
    assert lines == server_lines(db, query.query_text, 3000, 0.0)


def test_hand_made_document():
    doc = DatasetDocument(document_id="d1", content='a "b"\n\tc\u0001 ü 😀', metadata={"k": [1, 2.5, None, True]},
                          score=1, quality_score=0.5, source=None)
    line = doc.to_training_format()
    assert line == ('{"text":"a \\"b\\"\\n\\tc\\u0001 ü 😀","metadata":{"k":[1,2.5,null,true]},"source":null,'
                    '"quality_score":0.5,"document_id":"d1","relevance_score":1.0}')
    # the same as json.dumps with compact separators, scores as doubles
    assert line == json.dumps(dict(doc.to_training_dict(), relevance_score=1.0), ensure_ascii=False,
                              separators=(",", ":"))


@pytest.mark.parametrize("value, text", [
    (1.0, "1.0"), (0.0006, "0.0006"), (1e-05, "1e-05"), (1e16, "1e+16"), (123456789012345.6, "123456789012345.6"),
    (0.1 + 0.2, "0.30000000000000004"), (float("nan"), "null"), (math.inf, "null"), (None, "null"),
])
def test_scores_are_written_like_the_server(value, text):
    line = training_line("t", {}, "s", value, "d", 0.25)
    assert line == '{"text":"t","metadata":{},"source":"s","quality_score":%s,"document_id":"d","relevance_score":0.25}' % text


def test_exact_number_is_a_float():
    n = ExactNumber("1.50")
    assert n == 1.5 and isinstance(n, float) and n.text == "1.50"
    assert type(n * 2) is float
    import copy
    import pickle
    assert pickle.loads(pickle.dumps(n)).text == "1.50"
    assert copy.deepcopy(n).text == "1.50"
