"""Writing a JSONL file so that a failure never leaves a complete-looking one."""

from __future__ import annotations

import os
import stat


class AtomicOutput:
    """Writes FILE.partial, then fsync and rename to FILE (and fsyncs the
    directory). On failure FILE.partial is removed and an existing FILE is
    left as it was. Missing parent directories are created. An existing
    special file (/dev/null, a FIFO) is written in place, like the CLI.
    """

    def __init__(self, path: "os.PathLike[str] | str"):
        self.path = os.fspath(path)
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
            self._partial = self.path + ".partial"
            self._file = open(self._partial, "wb", buffering=1 << 20)
        self._done = False

    def write(self, data) -> None:
        self._file.write(data)

    def commit(self) -> None:
        self._file.flush()
        if self._partial is None:
            self._file.close()
            self._done = True
            return
        os.fsync(self._file.fileno())
        self._file.close()
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
        self._file.close()
        if self._partial is not None:
            try:
                os.unlink(self._partial)
            except FileNotFoundError:
                pass

    def __enter__(self) -> "AtomicOutput":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None or not self._done:
            self.discard()
