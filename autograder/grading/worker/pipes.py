"""The grader's ends of the worker's pipes: requests and replies with a deadline, and the drained output.

A worker that stops answering, or never reads, cannot block the grader: every read and write waits with
``select`` until the call's deadline (:class:`Timeout`), and checks the worker's scratch quota while it waits. The
worker's stdout and stderr go to a pipe that a thread drains into a capped buffer (:class:`Output`); they are never
parsed.
"""

from __future__ import annotations

import os
import selectors
import threading
import time
from collections import deque
from collections.abc import Callable


class Timeout(Exception):
    pass


class Pipe:
    """One end of a pipe, read or written with a deadline (so a silent or stuck worker cannot block the grader)."""

    def __init__(self, fd: int, check: Callable[[], None] | None = None) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self.deadline = float("inf")
        self.check = check  # called about every CHECK_EVERY s while waiting (the scratch quota); may raise
        self._buffer = bytearray()

    CHECK_EVERY = 0.25

    def _wait(self, for_write: bool) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Timeout
        with selectors.DefaultSelector() as selector:  # poll/epoll: no FD_SETSIZE limit on descriptor numbers
            selector.register(self.fd, selectors.EVENT_WRITE if for_write else selectors.EVENT_READ)
            ready = selector.select(min(left, self.CHECK_EVERY if self.check else 3600))
        if self.check is not None:
            self.check()
        if not ready and time.monotonic() >= self.deadline:
            raise Timeout

    def read(self, n: int) -> bytes:
        while len(self._buffer) < n:
            try:
                chunk = os.read(self.fd, max(n - len(self._buffer), 1 << 16))
            except BlockingIOError:
                self._wait(False)
                continue
            if not chunk:
                break
            self._buffer += chunk
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        return out

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.fd, view[: 1 << 16]) :]
            except BlockingIOError:
                self._wait(True)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


class Output:
    """Drains the worker's stdout+stderr in a thread; keeps the first and the last bytes."""

    def __init__(self, fd: int, cap: int) -> None:
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.total = 0
        self.cap = cap
        self._fd = fd
        self._thread = threading.Thread(target=self._drain, name="worker-output", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            self.total += len(chunk)
            room = self.cap // 4 - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail.append(chunk)
                self.tail_size += len(chunk)
                while self.tail_size - len(self.tail[0]) >= self.cap * 3 // 4:
                    self.tail_size -= len(self.tail.popleft())
        os.close(self._fd)

    def text(self) -> str:
        tail = b"".join(self.tail)[-(self.cap * 3 // 4) :]
        skipped = self.total - len(self.head) - len(tail)
        middle = f"\n[... {skipped} bytes of output skipped ...]\n".encode() if skipped > 0 else b""
        return (bytes(self.head) + middle + tail).decode("utf-8", "replace")

    def last_lines(self, n: int = 8) -> str:
        lines = self.text().rstrip().splitlines()[-n:]
        return "\n".join(line[:200] for line in lines)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
