"""A TCP proxy in front of PostgreSQL that a test can switch off and on: a database outage.

While down it accepts each connection and closes it at once (what a restarting database or a
dropped network looks like to psycopg), and it cuts the connections it was carrying, so pooled
connections die too. While up it pipes bytes both ways to the real server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SOCKET_SECONDS = 30.0


class SwitchableProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.up = True
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="db-proxy", daemon=True)

    def go_down(self) -> None:
        with self._lock:
            self.up = False
            carried, self._open = self._open, set()
        for sock in carried:
            _close(sock)

    def come_back(self) -> None:
        with self._lock:
            self.up = True

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                up = self.up
            if not up:
                _close(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close(client)
                continue
            for sock in (client, server):
                sock.settimeout(SOCKET_SECONDS)
            with self._lock:
                self._open.update((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(target)
            with self._lock:
                self._open.discard(source)
                self._open.discard(target)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        _close(self._listener)
        self.go_down()
        self._thread.join(timeout=5)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


@contextmanager
def switchable_proxy(host: str, port: int) -> Iterator[SwitchableProxy]:
    proxy = SwitchableProxy((host, port))
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
