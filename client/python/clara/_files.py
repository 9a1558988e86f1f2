"""Writing a JSONL file so that a failure never leaves a complete-looking one."""

from __future__ import annotations

import gzip
import os
import stat

_REFUSED = (".bz2", ".xz", ".lz4", ".lzma", ".zip", ".7z", ".br", ".Z", ".tgz")


def _check_name(path: str) -> None:
    """Refuses a compressed format Clara does not write, and .zst without
    the zstandard module, before any file is created."""
    for suffix in _REFUSED:
        if path.endswith(suffix):
            raise ValueError(f"{path}: Clara writes plain, .gz or .zst files, not {suffix} "
                             "(name the file .jsonl, .jsonl.gz or .jsonl.zst)")
    if path.endswith(".zst"):
        try:
            import zstandard  # noqa: F401
        except ImportError:
            raise ValueError(f"{path}: writing .zst needs the zstandard module (Debian: python3-zstandard)") from None


def _compressor(path: str, raw):
    """What writes into raw for this file name: gzip for .gz (no time stamp
    in the header, like the CLI's), zstd level 3 for .zst, raw otherwise."""
    if path.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw, mode="wb", mtime=0)
    if path.endswith(".zst"):
        import zstandard
        return zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False)
    return raw


_NAME_MAX = 255
_CUT_NAME = 230


def partial_path(path: str) -> str:
    """FILE.partial, or, when that would pass the 255-byte name limit, the
    name cut to 230 bytes (at a UTF-8 boundary) + "-" + 16 hex digits of its
    FNV-1a hash + ".partial": the CLI's rule (client/output_file.cpp)."""
    head, name = os.path.split(path)
    raw = os.fsencode(name)
    if len(raw) + 8 <= _NAME_MAX:
        return path + ".partial"
    h = 14695981039346656037
    for b in raw:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    cut = _CUT_NAME
    while cut > 0 and raw[cut] & 0xC0 == 0x80:
        cut -= 1
    return os.path.join(head, os.fsdecode(raw[:cut] + b"-%016x.partial" % h))


class AtomicOutput:
    """Writes FILE.partial, then fsync and rename to FILE (and fsyncs the
    directory). On failure FILE.partial is removed and an existing FILE is
    left as it was. Missing parent directories are created. An existing
    special file (/dev/null, a FIFO) is written in place, like the CLI.
    """

    def __init__(self, path: "os.PathLike[str] | str"):
        self.path = os.fspath(path)
        _check_name(self.path)
        try:
            self._in_place = not stat.S_ISREG(os.stat(self.path).st_mode)
        except FileNotFoundError:
            self._in_place = False
        if self._in_place:
            self._partial = None
            self._file = open(self.path, "wb", buffering=1 << 20)
        else:
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
            self._partial = partial_path(self.path)
            # O_EXCL | O_NOFOLLOW: never into another export's FILE.partial
            # and never through a symlink planted there; a FILE being
            # replaced keeps its permissions.
            try:
                fd = os.open(self._partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                             0o666)
            except FileExistsError:
                raise FileExistsError(f"{self._partial} already exists: another export to {self.path} is running, "
                                      "or one was killed before it finished (then remove it)") from None
            try:
                existing = os.stat(self.path)
                if stat.S_ISREG(existing.st_mode):
                    os.fchmod(fd, stat.S_IMODE(existing.st_mode))
            except FileNotFoundError:
                pass
            except BaseException:
                os.close(fd)
                os.unlink(self._partial)
                raise
            self._file = os.fdopen(fd, "wb", buffering=1 << 20)
        self._raw = self._file
        self._done = False
        self._file = _compressor(self.path, self._raw)

    def write(self, data) -> None:
        self._file.write(data)

    def commit(self) -> None:
        if self._file is not self._raw:
            self._file.close()  # the compressed stream's end; the file stays open
        self._raw.flush()
        if self._partial is None:
            self._raw.close()
            self._done = True
            return
        os.fsync(self._raw.fileno())
        self._raw.close()
        os.replace(self._partial, self.path)
        directory = os.open(os.path.dirname(os.path.abspath(self.path)), os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        self._done = True

    def discard(self) -> None:
        if self._done:
            return
        self._done = True
        # Unlink first: closing can fail (ENOSPC while flushing) and must not
        # leave FILE.partial behind.
        if self._partial is not None:
            try:
                os.unlink(self._partial)
            except FileNotFoundError:
                pass
        for f in (self._file, self._raw):
            try:
                f.close()
            except (OSError, ValueError):
                pass

    def __enter__(self) -> "AtomicOutput":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None or not self._done:
            self.discard()
