"""stream_to_jsonl and export_to_jsonl: the server's bytes, atomic files."""

import asyncio
import os
import stat
import subprocess

import psycopg
import pytest

from clara import DatasetSearchQuery
from conftest import CLARA_STREAM


def cli_export(dsn, path, *args):
    subprocess.run([str(CLARA_STREAM), "--dsn", dsn, "--output", str(path), "--quiet", *args], check=True)
    return path.read_bytes()


def test_stream_to_jsonl_is_the_cli_export(api, dsn, tmp_path):
    query = DatasetSearchQuery("Baurecht Dachanlage", top_k=5000, min_quality_score=0.7, filters={"domain": "baurecht"})
    out = tmp_path / "sub" / "training.jsonl"
    count = asyncio.run(api.stream_to_jsonl(query=query, output_path=str(out), batch_size=100))
    expected = cli_export(dsn, tmp_path / "cli.jsonl", "--query", "Baurecht Dachanlage", "--top-k", "5000",
                          "--min-quality", "0.7", "--domain", "baurecht")
    assert out.read_bytes() == expected
    assert count == expected.count(b"\n") > 0
    assert not (tmp_path / "sub" / "training.jsonl.partial").exists()


def test_arguments_reach_the_server_unchanged(api, dsn, tmp_path):
    nasty = "Baurecht \"Dachanlage\" O'Brien C:\\Verwaltung\\ \\n Photovoltaik\n\tGenehmigung"
    query = DatasetSearchQuery(nasty, top_k=300, min_quality_score=0.0, search_types=["keyword"],
                               weights={"keyword": 1}, filters={"created_after": "2010-01-01"})
    out = tmp_path / "nasty.jsonl"
    count = api.stream_to_jsonl_sync(query, out, batch_size=7)
    expected = cli_export(dsn, tmp_path / "cli.jsonl", "--query", nasty, "--top-k", "300", "--min-quality", "0",
                          "--search-types", "keyword", "--weights", "keyword=1", "--filter",
                          "created_after=2010-01-01", "--batch-size", "7")
    assert out.read_bytes() == expected and count == 300


def test_export_to_jsonl_of_searched_documents_is_the_same_file(api, tmp_path):
    query = DatasetSearchQuery("Verwaltungsrecht Photovoltaik", top_k=2000, min_quality_score=0.5)
    streamed = tmp_path / "streamed.jsonl"
    exported = tmp_path / "exported.jsonl"
    n = api.stream_to_jsonl_sync(query, streamed)
    docs = asyncio.run(api.search_datasets(query))
    assert api.export_to_jsonl(docs, exported) == n == len(docs) == 2000
    assert exported.read_bytes() == streamed.read_bytes()
    # and from a generator: constant memory on the Python side too
    assert api.export_to_jsonl(api.stream_datasets_sync(query), tmp_path / "gen.jsonl") == n
    assert (tmp_path / "gen.jsonl").read_bytes() == streamed.read_bytes()


def test_a_failed_export_leaves_no_file(api, tmp_path):
    out = tmp_path / "kept.jsonl"
    out.write_text("keep\n")
    bad = DatasetSearchQuery("Genehmigung", filters={"colour": "blue"})
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        asyncio.run(api.stream_to_jsonl(bad, out))
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        api.stream_to_jsonl_sync(bad, tmp_path / "new.jsonl")
    assert out.read_text() == "keep\n"
    assert sorted(os.listdir(tmp_path)) == ["kept.jsonl"]


def test_export_failure_in_the_middle_leaves_no_file(api, tmp_path):
    def documents():
        yield from api.search_datasets_sync(DatasetSearchQuery("Photovoltaik", top_k=10))
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError):
        api.export_to_jsonl(documents(), tmp_path / "x.jsonl")
    assert os.listdir(tmp_path) == []


def test_special_files_are_written_in_place(api):
    assert api.stream_to_jsonl_sync(DatasetSearchQuery("Photovoltaik", top_k=5), os.devnull) == 5
    assert os.path.exists(os.devnull) and not os.path.exists(os.devnull + ".partial")


def test_empty_result_is_an_empty_file(api, tmp_path):
    query = DatasetSearchQuery("Photovoltaik", filters={"domain": "nirgendwo"})
    assert asyncio.run(api.stream_to_jsonl(query, tmp_path / "empty.jsonl")) == 0
    assert (tmp_path / "empty.jsonl").read_bytes() == b""


def test_a_taken_partial_file_is_refused(api, tmp_path):
    """Another export's FILE.partial, or a symlink planted there, is never written."""
    query = DatasetSearchQuery("Genehmigung", top_k=5, min_quality_score=0.0)
    busy = tmp_path / "busy.jsonl"
    (tmp_path / "busy.jsonl.partial").write_text("other")
    with pytest.raises(FileExistsError, match="another export"):
        api.stream_to_jsonl_sync(query, busy)
    assert (tmp_path / "busy.jsonl.partial").read_text() == "other" and not busy.exists()
    victim = tmp_path / "victim"
    victim.write_text("secret")
    (tmp_path / "linked.jsonl.partial").symlink_to(victim)
    with pytest.raises(FileExistsError):
        api.stream_to_jsonl_sync(query, tmp_path / "linked.jsonl")
    assert victim.read_text() == "secret" and not (tmp_path / "linked.jsonl").exists()


def test_a_replaced_file_keeps_its_mode(api, tmp_path):
    path = tmp_path / "private.jsonl"
    path.write_text("old")
    os.chmod(path, 0o600)
    api.stream_to_jsonl_sync(DatasetSearchQuery("Genehmigung", top_k=5, min_quality_score=0.0), path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(path.read_text(encoding="utf-8").splitlines()) == 5


def test_compressed_by_the_file_name(api, dsn, tmp_path):
    """.jsonl.gz is gzip and .jsonl.zst zstd, as from the CLI: both
    decompress to the plain export; other compressed names are refused
    before any file is created."""
    import gzip

    zstandard = pytest.importorskip("zstandard")
    query = DatasetSearchQuery("Baurecht Dachanlage", top_k=500, min_quality_score=0.0)
    plain = cli_export(dsn, tmp_path / "cli.jsonl", "--query", "Baurecht Dachanlage", "--top-k", "500",
                       "--min-quality", "0")
    assert plain.count(b"\n") > 100
    api.stream_to_jsonl_sync(query, tmp_path / "set.jsonl.gz")
    api.stream_to_jsonl_sync(query, tmp_path / "set.jsonl.zst")
    assert gzip.decompress((tmp_path / "set.jsonl.gz").read_bytes()) == plain
    zst = (tmp_path / "set.jsonl.zst").read_bytes()
    assert zstandard.ZstdDecompressor().decompressobj().decompress(zst) == plain
    assert len(zst) < len(plain) / 3
    # The CLI's .gz of the same query: the same text.
    cli_gz = cli_export(dsn, tmp_path / "cli.jsonl.gz", "--query", "Baurecht Dachanlage", "--top-k", "500",
                        "--min-quality", "0")
    assert gzip.decompress(cli_gz) == plain
    with pytest.raises(ValueError, match="not .xz"):
        api.stream_to_jsonl_sync(query, tmp_path / "set.jsonl.xz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cli.jsonl", "cli.jsonl.gz", "set.jsonl.gz",
                                                          "set.jsonl.zst"]
