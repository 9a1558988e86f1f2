"""export_dataset: the dataset directory of clara-stream --output-dir, run
from Python. The same bytes as the CLI's; every TrainingOptions field reaches
the server (the shards hold stream_to_jsonl's lines); the CLI's refusals as
exceptions with its exit code and reason; a cancelled export leaves no child
and a DIR.partial that resume=True finishes; the connection string never on
the child's command line."""

import asyncio
import hashlib
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from clara import (ClaraStreamError, ClaraStreamIOError, ClaraStreamServerError, ClaraStreamUsageError,
                   DatasetSearchAPI, DatasetSearchQuery, ResumeRefused, TrainingOptions)

from conftest import CLARA_STREAM

QUERY = DatasetSearchQuery("Genehmigung Bescheid Verwaltungsrecht", top_k=3000, min_quality_score=0.0,
                           filters={"document_type": ["bescheid", "urteil", "merkblatt"]},
                           search_types=["keyword"], weights={"keyword": 1.0})
# A template with a newline and a literal backslash-n: the CLI reads \n as
# an escape, so the mapping must write the backslash as \\.
TRAINING = TrainingOptions(format="text", text_template="{title}\n\\n{text}", split="validation=0.1,test=0.05",
                           split_seed=7)
SHARD = re.compile(r"^(train|validation|test)-(\d{5})-of-(\d{5})\.jsonl\.zst$")


def listing(directory):
    return {p.name: p.read_bytes() for p in sorted(pathlib.Path(directory).iterdir())}


def zstd_lines(data):
    text = subprocess.run(["zstd", "-q", "-dc"], input=data, capture_output=True, check=True).stdout
    return text.splitlines(keepends=True)


def cli_export(dsn, directory, *extra):
    """The CLI with the flags the mapping should produce, written by hand."""
    subprocess.run([str(CLARA_STREAM), "--query", QUERY.query_text, "--top-k", "3000", "--min-quality", "0",
                    "--filter", "document_type=" + json.dumps(QUERY.filters["document_type"]),
                    "--search-types", "keyword", "--weights", "keyword=1", "--format", "text",
                    "--text-template", "{title}\\n\\\\n{text}", "--split", "validation=0.1,test=0.05",
                    "--split-seed", "7", "--output-dir", str(directory), "--quiet", *extra],
                   env={**os.environ, "CLARA_DSN": dsn}, check=True)


@pytest.fixture()
def api_binary(dsn, monkeypatch):
    monkeypatch.setenv("CLARA_STREAM", str(CLARA_STREAM))
    return DatasetSearchAPI(dsn=dsn)


def test_directory_is_the_clis_and_holds_the_servers_lines(api_binary, dsn, tmp_path):
    cli_dir, py_dir = tmp_path / "cli", tmp_path / "py"
    cli_export(dsn, cli_dir, "--compression", "zstd", "--shard-size", "64KB")
    result = api_binary.export_dataset_sync(QUERY, py_dir, training=TRAINING, compression="zstd",
                                            shard_size="64KB")
    assert not (tmp_path / "py.partial").exists()

    cli, py = listing(cli_dir), listing(py_dir)
    assert sorted(cli) == sorted(py)
    for name in cli:
        if name != "manifest.json":
            assert cli[name] == py[name], f"{name} differs from the CLI's"
    m_cli, m_py = json.loads(cli["manifest.json"]), json.loads(py["manifest.json"])
    for key in ("created_at", "command", "database"):  # when and how it ran: per run
        m_cli.pop(key), m_py.pop(key)
    assert m_cli == m_py
    assert [f["sha256"] for f in m_cli["files"]] == [f["sha256"] for f in m_py["files"]]

    # Splits, compression, shard size; the result is the manifest's.
    shards = [n for n in py if n not in ("manifest.json", "README.md")]
    assert all(SHARD.match(n) for n in shards), shards
    assert {SHARD.match(n).group(1) for n in shards} == {"train", "validation", "test"}
    assert sum(1 for n in shards if n.startswith("train-")) >= 3
    assert result.path == str(py_dir) and result.compression == "zstd" and result.shard_size == 64 * 1024
    assert result.files == m_py["files"] and result.splits == m_py["splits"]
    lines_by_split = {}
    for f in result.files:
        data = py[f["path"]]
        assert data[:4] == b"\x28\xb5\x2f\xfd", f"{f['path']} is not zstd"
        assert hashlib.sha256(data).hexdigest() == f["sha256"]
        lines = zstd_lines(data)
        assert len(lines) == f["rows"] and (f["text_bytes"] <= 64 * 1024 or f["rows"] == 1)
        lines_by_split.setdefault(f["split"], []).extend(lines)
    assert result.rows == sum(len(v) for v in lines_by_split.values()) > 500

    # Every option reached the server as stream_to_jsonl sends it: the
    # shards of each split, in order, are its lines of that split.
    api_binary.stream_to_jsonl_sync(QUERY, tmp_path / "plain.jsonl", training=TRAINING)
    want = {}
    for raw in (tmp_path / "plain.jsonl").read_bytes().splitlines(keepends=True):
        want.setdefault(json.loads(raw)["metadata"]["split"], []).append(raw)
    assert lines_by_split == want
    first = json.loads(want["train"][0])
    assert "\n\\n" in first["text"]  # the template's newline and its literal backslash-n


def test_cli_refusals_raise_with_exit_code_and_reason(api_binary, tmp_path):
    with pytest.raises(ClaraStreamUsageError) as usage:
        api_binary.export_dataset_sync(QUERY, tmp_path / "a", shard_size="12 parsecs")
    assert usage.value.exit_code == 2 and "unknown unit" in usage.value.reason
    assert not usage.value.reason.startswith("clara-stream:")
    assert isinstance(usage.value, ValueError)

    with pytest.raises(ClaraStreamServerError) as server:
        api_binary.export_dataset_sync(QUERY, tmp_path / "b", training=TrainingOptions(split="validation=2"))
    assert server.value.exit_code == 5 and "22023" in server.value.reason

    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("not Clara's")
    with pytest.raises(ClaraStreamIOError) as exists:
        api_binary.export_dataset_sync(QUERY, taken)
    assert exists.value.exit_code == 6 and str(taken) in exists.value.reason
    assert (taken / "mine.txt").read_text() == "not Clara's"

    with pytest.raises(ResumeRefused) as refused:
        api_binary.export_dataset_sync(QUERY, tmp_path / "never", resume=True)
    assert refused.value.exit_code == 8 and refused.value.reason


def test_python_refusals_before_any_child(api_binary, tmp_path, monkeypatch):
    ran = tmp_path / "ran"
    recorder = tmp_path / "recorder"
    recorder.write_text(f"#!/bin/sh\ntouch {ran}\nexit 0\n")
    recorder.chmod(0o755)
    for kwargs in ({"compression": "bz2"}, {"shard_size": 0}, {"shard_size": 1.5}, {"resume": "yes"},
                   {"training": {"split": "validation=0.1"}}):
        with pytest.raises(ValueError):
            api_binary.export_dataset_sync(QUERY, tmp_path / "d", clara_stream=recorder, **kwargs)
    with pytest.raises(ValueError):
        api_binary.export_dataset_sync(DatasetSearchQuery("x", weights={"a,b": 1.0}), tmp_path / "d",
                                       clara_stream=recorder)
    assert not ran.exists()

    monkeypatch.delenv("CLARA_STREAM")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError) as missing:
        api_binary.export_dataset_sync(QUERY, tmp_path / "d")
    assert "CLARA_STREAM" in str(missing.value) and "PATH" in str(missing.value)


def test_connection_string_only_in_the_environment(tmp_path, monkeypatch):
    """A tiny stand-in binary records its argv and environment (a real
    process, not a mock of Clara) and writes a manifest."""
    record = tmp_path / "record.json"
    recorder = tmp_path / "recorder.py"
    recorder.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "out = [a.split('=', 1)[1] for a in sys.argv if a.startswith('--output-dir=')][0]\n"
        "os.mkdir(out)\n"
        "manifest = {'splits': {}, 'files': [], 'compression': 'none', 'shard_size': 1}\n"
        "json.dump(manifest, open(out + '/manifest.json', 'w'))\n"
        f"json.dump({{'argv': sys.argv, 'env': dict(os.environ)}}, open({str(record)!r}, 'w'))\n")
    recorder.chmod(0o755)
    monkeypatch.setenv("CLARA_STREAM", str(recorder))
    monkeypatch.setenv("CLARA_PYTEST_MARKER", "kept")
    dsn = "host=/nowhere dbname=secretdb user=u password=s3cret-pw"
    DatasetSearchAPI(dsn=dsn).export_dataset_sync(QUERY, tmp_path / "d")
    seen = json.loads(record.read_text())
    assert seen["env"]["CLARA_DSN"] == dsn
    assert seen["env"]["CLARA_PYTEST_MARKER"] == "kept"
    assert not any("s3cret" in a or "secretdb" in a for a in seen["argv"]), seen["argv"]
    assert f"--output-dir={tmp_path / 'd'}" in seen["argv"]


def children_of_us(marker):
    """Processes whose parent is this one and whose command line holds marker."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()
            cmdline = open(f"/proc/{entry}/cmdline", "rb").read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and marker.encode() in cmdline:
            found.append((int(entry), cmdline))
    return found


async def start_and_wait_for_shards(api, out, shards):
    """export_dataset as a task; returns (task, the child's pid) once the
    child has completed that many shards in DIR.partial."""
    partial = pathlib.Path(str(out) + ".partial")
    task = asyncio.create_task(api.export_dataset(QUERY, out, training=TRAINING, compression="zstd",
                                                  shard_size="32KB", batch_size=10))
    pid = None
    for _ in range(4000):
        await asyncio.sleep(0.005)
        assert not task.done(), "the export ended before it could be interrupted"
        if pid is None:
            children = children_of_us(str(out))
            if children:
                pid, cmdline = children[0]
                assert b"dbname" not in cmdline and b"CLARA_DSN" not in cmdline, cmdline
        try:
            if len(json.loads((partial / "resume.json").read_text())["shards"]) >= shards:
                break
        except (OSError, ValueError, KeyError):
            pass
    assert pid is not None, "no child seen"
    return task, pid


def test_cancel_stops_the_child(api_binary, tmp_path):
    """A cancelled task: the child got SIGINT and is gone before the
    cancellation goes on, and it cleaned up as on Ctrl-C (no DIR, no
    DIR.partial)."""
    out = tmp_path / "cancelled"

    async def cancel_midway():
        task, pid = await start_and_wait_for_shards(api_binary, out, 3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return pid

    pid = asyncio.run(cancel_midway())
    assert not os.path.exists(f"/proc/{pid}"), "the child outlived the cancelled task"
    assert not out.exists() and not pathlib.Path(str(out) + ".partial").exists()


def test_keyboard_interrupt_stops_the_child(api_binary, tmp_path):
    """Ctrl-C in a script (SIGINT to Python alone, as kill -INT would send
    it): the KeyboardInterrupt goes on only after the child is gone."""
    out = tmp_path / "interrupted"
    seen = {}

    def interrupt_after_three_shards():
        for _ in range(4000):
            time.sleep(0.005)
            children = children_of_us(str(out))
            if children:
                seen.setdefault("pid", children[0][0])
            try:
                if len(json.loads((tmp_path / "interrupted.partial" / "resume.json").read_text())["shards"]) >= 3:
                    break
            except (OSError, ValueError, KeyError):
                pass
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt_after_three_shards)
    thread.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            api_binary.export_dataset_sync(QUERY, out, training=TRAINING, compression="zstd", shard_size="32KB",
                                           batch_size=10)
    finally:
        thread.join()
    assert "pid" in seen, "no child seen"
    assert not os.path.exists(f"/proc/{seen['pid']}"), "the child outlived the KeyboardInterrupt"
    assert not out.exists() and not (tmp_path / "interrupted.partial").exists()


def test_resume_after_a_killed_export(api_binary, tmp_path):
    """A child killed (SIGKILL) after three shards: the error says so, the
    DIR.partial stays; resume=True from Python finishes it, and the files
    are byte for byte an uninterrupted export's."""
    full = tmp_path / "full"
    api_binary.export_dataset_sync(QUERY, full, training=TRAINING, compression="zstd", shard_size="32KB")
    out = tmp_path / "resumed"

    async def kill_midway():
        task, pid = await start_and_wait_for_shards(api_binary, out, 3)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(ClaraStreamError) as killed:
            await task
        return killed.value

    killed = asyncio.run(kill_midway())
    assert killed.exit_code == -signal.SIGKILL and "killed by signal 9" in killed.reason
    assert not out.exists() and pathlib.Path(str(out) + ".partial").is_dir()
    result = api_binary.export_dataset_sync(QUERY, out, training=TRAINING, compression="zstd", shard_size="32KB",
                                            resume=True, batch_size=10)  # the killed run's arguments
    runs = result.manifest["resumed"]["runs"]
    assert len(runs) == 2 and runs[1]["shards_verified"] >= 3, runs
    want, got = listing(full), listing(out)
    assert sorted(want) == sorted(got)
    for name in want:
        if name != "manifest.json":
            assert want[name] == got[name], name
