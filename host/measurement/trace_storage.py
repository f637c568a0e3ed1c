"""The bytes under the HDF5 trace: a file object that h5py writes through (its ``fileobj``
driver), so that the file on disk is always one HDF5 flushed whole, and a full disk cannot
crash the process.

Between two flushes HDF5 rewrites bytes the last flush wrote (its metadata, and the chunk a
window's flush left partly filled, which it may put back at the same place once full), so a
kill between flushes could leave a file whose metadata points at data it no longer holds.
Here, a write below the size of the last flush waits in memory (where reads find it) until
HDF5's next flush, and is then written with the others, undone together if one fails; writes
past that size (new chunks, which nothing on disk points to yet) go to the disk at once.
Whenever the process dies, the file on disk is its last flush plus bytes it does not use.

HDF5 does not survive a write that fails either: its caches are left half-written and
closing or collecting the file afterwards may crash the interpreter. So no write ever fails
towards HDF5: the first one the disk refuses (full disk, I/O error) is kept in ``failure``,
and from then on writes stay in memory, so that HDF5 finishes and closes as usual. On close
the file is cut back to its last flush, which gives back the space written since.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path


class TraceStorage:
    """A binary file for h5py's ``fileobj`` driver; see the module docstring."""

    def __init__(self, path: Path, create: bool) -> None:
        self.path = path
        self._file = open(path, "w+b" if create else "r+b", buffering=0)  # noqa: SIM115
        self._size = os.fstat(self._file.fileno()).st_size  # as HDF5 sees it
        self.flushed_size = self._size  # the file's size at HDF5's last flush
        self._pending: list[tuple[int, bytes]] = []  # writes for the next flush, in order
        self._pending_end = self._size  # a write from here on goes to the disk at once
        self._pos = 0
        self.failure: OSError | None = None

    # -- the file object h5py needs: seek, tell, readinto/read, write, truncate, flush ------
    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: memoryview | bytearray) -> int:
        view = memoryview(buffer).cast("B")
        wanted = max(0, min(len(view), self._size - self._pos))
        got = self._read_disk(self._pos, view[:wanted])
        view[got:wanted] = bytes(wanted - got)
        for offset, data in self._pending:  # then what waits in memory, in order
            start, end = max(offset, self._pos), min(offset + len(data), self._pos + wanted)
            if start < end:
                view[start - self._pos : end - self._pos] = data[start - offset : end - offset]
        self._pos += wanted
        return wanted

    def read(self, size: int = -1) -> bytes:
        size = max(0, self._size - self._pos) if size < 0 else size
        buffer = bytearray(size)
        return bytes(buffer[: self.readinto(buffer)])

    def write(self, data: bytes | memoryview) -> int:
        view = memoryview(data).cast("B")
        direct = self.failure is None and self._pos >= self._pending_end
        if direct:
            try:
                self._write_disk(self._pos, view)
            except OSError as exc:
                self.failure, direct = exc, False
        if not direct:  # below the last flush, or after a failure: into memory
            self._pending.append((self._pos, bytes(view)))
            self._pending_end = max(self._pending_end, self._pos + len(view))
        self._pos += len(view)
        self._size = max(self._size, self._pos)
        return len(view)

    def truncate(self, size: int | None = None) -> int:
        """HDF5 sets the file's size to its end of allocation; done at its flush."""
        self._size = self._pos if size is None else size
        return self._size

    def flush(self) -> None:
        """HDF5 calls this last when it flushes: write what waited, all or nothing, then
        set the file's size; the file on disk is whole at this size."""
        if self.failure is not None:
            return
        before = os.fstat(self._file.fileno()).st_size
        undo: list[tuple[int, bytes]] = []
        try:
            for offset, data in self._pending:
                old = bytearray(len(data))
                undo.append((offset, bytes(old[: self._read_disk(offset, memoryview(old))])))
                self._write_disk(offset, memoryview(data))
            self._file.truncate(self._size)
        except OSError as exc:
            self.failure = exc
            for offset, old in reversed(undo):  # each on its own: undo all that can be
                with contextlib.suppress(OSError):
                    self._write_disk(offset, memoryview(old))
            with contextlib.suppress(OSError):
                self._file.truncate(before)
            return
        self._pending.clear()
        self.flushed_size = self._pending_end = self._size

    # -- ours --------------------------------------------------------------------------------
    def sync(self) -> None:
        """Once HDF5 has closed the file: what waits written, and all onto the disk itself
        (a power loss keeps it)."""
        self.flush()
        if self.failure is None:
            try:
                os.fsync(self._file.fileno())
            except OSError as exc:
                self.failure = exc

    def close(self) -> None:
        """Write what waits (HDF5 writes a little after its last flush when it closes) and
        close; after a failure, cut the file back to its last flush instead."""
        if self._file.closed:
            return
        self.flush()
        if self.failure is not None:
            with contextlib.suppress(OSError):
                self._file.truncate(self.flushed_size)
        self._file.close()

    def _read_disk(self, offset: int, view: memoryview) -> int:
        self._file.seek(offset)
        got = 0
        while got < len(view):
            n = self._file.readinto(view[got:])
            if not n:
                break
            got += n
        return got

    def _write_disk(self, offset: int, view: memoryview) -> None:
        self._file.seek(offset)
        done = 0
        while done < len(view):  # a short write (the disk filling) is not an error yet
            n = self._file.write(view[done:])
            if not n:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
            done += n
