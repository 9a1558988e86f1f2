"""stream_to_jsonl with TrainingOptions: the server's chunked, formatted,
split lines, byte for byte; bad options refused by the server."""

import asyncio
import json

import psycopg
import pytest

from clara import DatasetSearchQuery, TrainingOptions


def byte_level_tokenizer_json():
    """A small byte-level BPE tokenizer.json (GPT-2 pre-tokenizer): the 256
    bytes plus a few German merges. Its counts are its own; the exactness of
    real tokenizers is tests/integration/tokenizers.sh's business."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    char_of, extra = {}, 0
    for b in range(256):
        if b in printable:
            char_of[b] = chr(b)
        else:
            char_of[b] = chr(256 + extra)
            extra += 1
    as_token = lambda s: "".join(char_of[b] for b in s.encode("utf-8"))  # noqa: E731
    vocab = {char_of[b]: b for b in range(256)}
    merges = []
    for word in ("en", "er", "ch", "ung", " de", " die", "ein"):
        left = as_token(word[0])
        for ch in word[1:]:
            right = as_token(ch)
            merges.append(f"{left} {right}")
            left = left + right
            vocab.setdefault(left, len(vocab))
    return json.dumps({"model": {"type": "BPE", "vocab": vocab, "merges": merges},
                       "normalizer": None,
                       "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True}})


@pytest.fixture(scope="module")
def tiny(db):
    info = db.execute("SELECT clara_register_tokenizer('pytest-tiny', convert_to(%s, 'UTF8'))",
                      (byte_level_tokenizer_json(),)).fetchone()[0]
    assert info["pattern"] == "gpt2"
    yield "pytest-tiny"
    db.execute("SELECT clara_unregister_tokenizer('pytest-tiny')")


def test_chunked_formatted_split_lines_are_the_servers(api, db, tiny, tmp_path):
    query = DatasetSearchQuery("Genehmigung Bescheid", top_k=15, min_quality_score=0.0, search_types=["keyword"])
    options = TrainingOptions(tokenizer=tiny, chunk_tokens=120, chunk_overlap=10, format="alpaca",
                              prompt_template="Worum geht es in {title}?", split="validation=0.3", split_seed=9)
    path = tmp_path / "train.jsonl"
    written = api.stream_to_jsonl_sync(query, path, training=options)
    expected = [r[0] for r in db.execute(
        "SELECT clara_stream_jsonl(%s, 15, 0.0, '{}', '{keyword}', NULL, 100, %s, 120, 10, 'alpaca',"
        " 'Worum geht es in {title}?', NULL, 'validation=0.3', 9)", (query.query_text, tiny)).fetchall()]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert written == len(lines) == len(expected) > 15  # chunked: more lines than documents
    assert lines == expected
    parsed = [json.loads(l) for l in lines]
    assert all(p["metadata"]["token_count"] <= 120 and p["metadata"]["split"] in ("train", "validation")
               for p in parsed)
    assert all(p["instruction"] == f"Worum geht es in {p['metadata']['title']}?" for p in parsed)


def test_query_statistics_count_what_the_export_wrote(api, tiny, tmp_path):
    """get_query_statistics with the export's training options: per split
    the documents, lines and token_count sums of the file stream_to_jsonl
    wrote; removed as the server's summary says."""
    query = DatasetSearchQuery("Genehmigung Bescheid Nachbar", top_k=200, min_quality_score=0.0)
    options = TrainingOptions(tokenizer=tiny, chunk_tokens=100, chunk_overlap=10, split="validation=0.25,test=0.1",
                              split_seed=3, dedup="near", format="text")
    path = tmp_path / "set.jsonl"
    api.stream_to_jsonl_sync(query, path, training=options)
    written = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        meta = json.loads(raw)["metadata"]
        counts = written.setdefault(meta["split"], {"documents": set(), "lines": 0, "tokens": 0})
        counts["documents"].add(json.loads(raw)["document_id"])
        counts["lines"] += 1
        counts["tokens"] += meta["token_count"]
    written = {k: {**v, "documents": len(v["documents"])} for k, v in written.items()}
    stats = api.get_query_statistics_sync(query, options)
    assert len(written) == 3
    assert stats["splits"] == written
    assert stats["token_count"] == f"tokenizer:{tiny}"
    assert stats["total_tokens"] == sum(v["tokens"] for v in written.values())
    assert stats["removed"]["duplicates"] > 0  # the generated corpus's near duplicates
    assert asyncio.run(api.get_query_statistics(query, options)) == stats
    # Without training options: the seed's call, tokens estimated.
    plain = api.get_query_statistics_sync(query)
    assert plain["token_count"] == "estimate" and plain["splits"].keys() == {"train"}
    with pytest.raises(ValueError, match="record"):
        api.get_query_statistics_sync(query, TrainingOptions(record="nope"))
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="train is the rest"):
        api.get_query_statistics_sync(query, TrainingOptions(split="train=0.1"))


def test_token_budget(api, tiny, tmp_path):
    query = DatasetSearchQuery("Genehmigung Bescheid", top_k=50, min_quality_score=0.0, search_types=["keyword"])
    path = tmp_path / "budget.jsonl"
    api.stream_to_jsonl_sync(query, path, training=TrainingOptions(tokenizer=tiny, chunk_tokens=100,
                                                                    token_budget=1000))
    counts = [json.loads(l)["metadata"]["token_count"] for l in path.read_text(encoding="utf-8").splitlines()]
    assert 900 < sum(counts) <= 1000


def test_bad_options_are_refused(api, tiny, tmp_path):
    query = DatasetSearchQuery("Genehmigung", top_k=5, min_quality_score=0.0)
    for options in (TrainingOptions(chunk_tokens=100),                               # no tokenizer
                    TrainingOptions(tokenizer=tiny, chunk_tokens=100, chunk_overlap=60),
                    TrainingOptions(format="sharegpt"),
                    TrainingOptions(split="train=0.5")):
        with pytest.raises(psycopg.Error) as e:
            api.stream_to_jsonl_sync(query, tmp_path / "bad.jsonl", training=options)
        assert e.value.sqlstate == "22023", (options, e.value)
        assert not (tmp_path / "bad.jsonl").exists()
    with pytest.raises(ValueError):
        TrainingOptions(chunk_tokens="100")
