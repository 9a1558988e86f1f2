"""export_dataset: a dataset directory written by clara-stream --output-dir.

The shards, their names, the compression, manifest.json, the dataset card
and --resume are the CLI's (client/dataset_output.cpp); this module only
turns a DatasetSearchQuery and TrainingOptions into its flags, runs it as a
child process and reads the manifest it wrote. One implementation, so the
directory from Python is byte for byte the CLI's.

The connection string travels in the child's environment (CLARA_DSN), never
on its command line: /proc/PID/cmdline and ps show argv to every user.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .models import DatasetSearchQuery, TrainingOptions

# clara-stream's exit codes (client/exit_code.hpp, docs/cli.md).
EXIT_USAGE = 2
EXIT_CONNECTION = 3
EXIT_EXTENSION_MISSING = 4
EXIT_SERVER = 5
EXIT_IO = 6
EXIT_RESUME_REFUSED = 8
EXIT_INVALID_DATASET = 9
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

# After SIGINT the CLI cancels the query and removes its partial shard;
# SIGTERM (a second signal: it exits at once), then SIGKILL, if it hangs.
_INTERRUPT_GRACE = 10.0
_TERMINATE_GRACE = 5.0


class ClaraStreamError(Exception):
    """clara-stream exited non-zero: exit_code is its exit code (docs/cli.md),
    reason the one line it printed on stderr ("clara-stream: ..." without the
    prefix), stderr all it printed."""

    def __init__(self, exit_code: int, reason: str, stderr: str = ""):
        super().__init__(f"clara-stream exited with {exit_code}: {reason}")
        self.exit_code = exit_code
        self.reason = reason
        self.stderr = stderr


class ClaraStreamUsageError(ClaraStreamError, ValueError):
    """Exit 2: the CLI refused an argument (e.g. a bad split spec)."""


class ClaraStreamConnectionError(ClaraStreamError):
    """Exit 3 (cannot connect) or 4 (the database has no clara extension)."""


class ClaraStreamServerError(ClaraStreamError):
    """Exit 5: the server rejected the query; the reason holds the SQLSTATE."""


class ClaraStreamIOError(ClaraStreamError, OSError):
    """Exit 6: the directory cannot be written (e.g. it exists and is not empty)."""


class ResumeRefused(ClaraStreamError):
    """Exit 8: --resume refused: no interrupted export, other arguments, or the corpus changed."""


class ClaraStreamInterrupted(ClaraStreamError):
    """Exit 130 / 143: the CLI was interrupted (SIGINT / SIGTERM); DIR.partial may be resumed."""


_ERROR_TYPES = {
    EXIT_USAGE: ClaraStreamUsageError,
    EXIT_CONNECTION: ClaraStreamConnectionError,
    EXIT_EXTENSION_MISSING: ClaraStreamConnectionError,
    EXIT_SERVER: ClaraStreamServerError,
    EXIT_IO: ClaraStreamIOError,
    EXIT_RESUME_REFUSED: ResumeRefused,
    EXIT_INTERRUPTED: ClaraStreamInterrupted,
    EXIT_TERMINATED: ClaraStreamInterrupted,
}


def _error(exit_code: int, stderr: bytes) -> ClaraStreamError:
    text = stderr.decode("utf-8", "replace")
    lines = [line for line in text.splitlines() if line.strip()]
    reason = lines[-1] if lines else "(no message)"
    if reason.startswith("clara-stream: "):
        reason = reason[len("clara-stream: "):]
    if exit_code < 0:  # killed by a signal it does not handle
        reason = f"killed by signal {-exit_code}" + (f" ({reason})" if lines else "")
    return _ERROR_TYPES.get(exit_code, ClaraStreamError)(exit_code, reason, text)


@dataclass(frozen=True)
class DatasetExport:
    """What export_dataset wrote, from the directory's manifest.json:
    path (the directory), splits ({"train": {"rows", "documents", "tokens",
    "files"}, ...}), files (each shard's path, split, rows, text_bytes,
    bytes, sha256), compression, shard_size, and manifest (all of it)."""

    path: str
    splits: Dict[str, Dict[str, Any]]
    files: List[Dict[str, Any]]
    compression: str
    shard_size: int
    manifest: Dict[str, Any]

    @property
    def rows(self) -> int:
        return sum(int(s["rows"]) for s in self.splits.values())

    @property
    def documents(self) -> int:
        return sum(int(s["documents"]) for s in self.splits.values())


def _read_manifest(directory: str) -> DatasetExport:
    with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    return DatasetExport(path=directory, splits=manifest["splits"], files=manifest["files"],
                         compression=manifest["compression"], shard_size=manifest["shard_size"], manifest=manifest)


def find_clara_stream(clara_stream: "Optional[os.PathLike[str] | str]" = None) -> str:
    """The clara-stream binary: the argument, else $CLARA_STREAM, else the
    first clara-stream on PATH."""
    if clara_stream is not None:
        return os.fspath(clara_stream)
    from_env = os.environ.get("CLARA_STREAM")
    if from_env:
        return from_env
    found = shutil.which("clara-stream")
    if found is None:
        raise FileNotFoundError("clara-stream not found: set $CLARA_STREAM to the binary (make client builds "
                                "build/clara-stream) or put clara-stream on PATH")
    return found


def _no_nul(name: str, value: str) -> str:
    if "\x00" in value:
        raise ValueError(f"{name} must not contain NUL characters")
    return value


def _template(value: str) -> str:
    # The CLI reads \n, \t and \\ in a template as escapes (a shell cannot
    # easily pass a newline): a backslash of the template is written \\.
    return value.replace("\\", "\\\\")


def dataset_arguments(query: DatasetSearchQuery, directory: str, training: Optional[TrainingOptions],
                      compression: str, shard_size: "str | int", resume: bool, batch_size: int,
                      json_dumps) -> List[str]:
    """clara-stream's flags for an export into directory (without the
    connection: that is the environment's). Every option as --flag=VALUE, so
    a value starting with '-' stays a value."""
    t = training or TrainingOptions()
    args = [f"--query={_no_nul('query_text', query.query_text)}", f"--top-k={query.top_k}",
            f"--min-quality={float(query.min_quality_score)!r}"]
    for key, value in (query.filters or {}).items():
        if not isinstance(key, str) or not key or "=" in key:
            raise ValueError(f"filter keys must be non-empty strings without '=', not {key!r}")
        # The CLI reads a value as JSON when it parses: JSON always, so a
        # string that looks like a number stays a string.
        args.append(_no_nul("filters", f"--filter={key}={json_dumps(value)}"))
    if query.search_types is not None:
        if not query.search_types:
            raise ValueError("search_types must name at least one search type (or be None)")
        if any("," in s for s in query.search_types):
            raise ValueError("search type names must not contain ','")
        args.append(_no_nul("search_types", "--search-types=" + ",".join(query.search_types)))
    if query.weights is not None:
        items = []
        for key, weight in query.weights.items():
            if not isinstance(key, str) or not key or "," in key or "=" in key or key != key.strip():
                raise ValueError(f"weight keys must be search type names (no ',', '=' or spaces), not {key!r}")
            if isinstance(weight, bool) or not isinstance(weight, (int, float)):
                raise ValueError(f"weight of {key!r} must be a number, not {weight!r}")
            items.append(f"{key}={float(weight)!r}")
        if not items:
            raise ValueError("weights must name at least one search type (or be None)")
        args.append(_no_nul("weights", "--weights=" + ",".join(items)))
    args.append(f"--output-dir={directory}")
    args.append(f"--compression={compression}")
    args.append(f"--shard-size={shard_size}")
    if resume:
        args.append("--resume")
    args.append(f"--batch-size={batch_size}")
    # Options that are left out when unset, and those always given.
    optional = (("--tokenizer", t.tokenizer), ("--chunk-tokens", t.chunk_tokens),
                ("--prompt-template", None if t.prompt_template is None else _template(t.prompt_template)),
                ("--text-template", None if t.text_template is None else _template(t.text_template)),
                ("--split", t.split), ("--token-budget", t.token_budget), ("--dedup", t.dedup),
                ("--record", t.record))
    args += [f"{flag}={value}" for flag, value in optional if value is not None]
    args += [f"--chunk-overlap={t.chunk_overlap}", f"--format={t.format}", f"--split-seed={t.split_seed}"]
    args += [f"--exclude={name}" for name in t.exclude]
    if not t.exclude_held_out:
        args.append("--no-held-out-exclusion")
    args += [f"--decontaminate={name}" for name in t.decontaminate]
    if t.decontaminate_mode == "report":
        if not t.decontaminate:
            raise ValueError('decontaminate_mode "report" needs decontaminate names')
        args.append("--decontaminate-report")
    args.append("--quiet")
    return args


def check_dataset_options(compression: str, shard_size: "str | int", resume: bool, batch_size: int) -> None:
    """Refusals that cost nothing before a child is started; the CLI checks
    everything again."""
    if compression not in ("none", "gzip", "zstd"):
        raise ValueError(f"compression must be none, gzip or zstd, not {compression!r}")
    if isinstance(shard_size, bool) or not isinstance(shard_size, (int, str)):
        raise ValueError(f"shard_size must be bytes (an int) or a size such as \"512MB\", not {shard_size!r}")
    if isinstance(shard_size, int) and shard_size < 1:
        raise ValueError(f"shard_size must be at least 1 byte, not {shard_size}")
    if isinstance(shard_size, str) and (not shard_size or "\x00" in shard_size):
        raise ValueError("shard_size must be a size such as \"512MB\"")
    if not isinstance(resume, bool):
        raise ValueError("resume must be a boolean")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, not {batch_size!r}")


def child_environment(dsn: str) -> Dict[str, str]:
    """The user's environment, with the connection string in CLARA_DSN (an
    empty dsn keeps the user's CLARA_DSN / PG* variables, as the CLI does)."""
    env = dict(os.environ)
    if dsn:
        env["CLARA_DSN"] = dsn
    return env


def _stop(proc: subprocess.Popen) -> None:
    """SIGINT (the CLI cancels its query and keeps DIR.partial), then
    SIGTERM, then SIGKILL; waits until the child is gone."""
    for sig, grace in ((signal.SIGINT, _INTERRUPT_GRACE), (signal.SIGTERM, _TERMINATE_GRACE), (signal.SIGKILL, None)):
        if proc.poll() is not None:
            return
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def run_sync(command: Sequence[str], env: Dict[str, str], directory: str) -> DatasetExport:
    proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        _, stderr = proc.communicate()
    except BaseException:  # KeyboardInterrupt above all: no child keeps writing
        _stop(proc)
        if proc.stderr is not None:
            proc.stderr.close()
        raise
    if proc.returncode != 0:
        raise _error(proc.returncode, stderr)
    return _read_manifest(directory)


async def _astop(proc: "asyncio.subprocess.Process") -> None:
    for sig, grace in ((signal.SIGINT, _INTERRUPT_GRACE), (signal.SIGTERM, _TERMINATE_GRACE), (signal.SIGKILL, None)):
        if proc.returncode is not None:
            return
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            return
        try:
            await asyncio.wait_for(proc.wait(), grace)
            return
        except asyncio.TimeoutError:
            continue


async def run_async(command: Sequence[str], env: Dict[str, str], directory: str) -> DatasetExport:
    proc = await asyncio.create_subprocess_exec(*command, env=env, stdin=subprocess.DEVNULL,
                                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, stderr = await proc.communicate()
    except BaseException:  # cancellation: stop the child before the task ends
        await asyncio.shield(_astop(proc))
        raise
    assert proc.returncode is not None
    if proc.returncode != 0:
        raise _error(proc.returncode, stderr)
    return _read_manifest(directory)


__all__: Tuple[str, ...] = ("ClaraStreamError", "ClaraStreamUsageError", "ClaraStreamConnectionError",
                            "ClaraStreamServerError", "ClaraStreamIOError", "ResumeRefused",
                            "ClaraStreamInterrupted", "DatasetExport", "find_clara_stream")
