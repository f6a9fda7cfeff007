"""A TCP relay that loses a commit's answer: between casegraph and a real Bolt server, it
passes everything on until the client has sent ``marker``; then it passes on the next
COMMIT and closes that connection before the server's answer comes back. The driver then
raises a real ``IncompleteCommit``. Later connections are relayed untouched."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

from tests.conftest import Neo4jServer
from tests.helpers import free_port

COMMIT = b"\x00\x02\xb0\x12\x00\x00"  # a Bolt COMMIT message: one chunk of B0 12, then 00 00


class CommitCutter:
    def __init__(self, upstream: tuple[str, int], marker: bytes) -> None:
        self.upstream, self.marker = upstream, marker
        self.port = free_port()
        self.cut = threading.Event()  # set once a commit's answer was lost
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            cutting = threading.Event()  # this connection's answers stop here
            for target, args in ((self._up, (client, server)), (self._down, (server, client))):
                threading.Thread(target=target, args=(*args, cutting), daemon=True).start()

    def _up(self, client: socket.socket, server: socket.socket, cutting: threading.Event) -> None:
        seen, armed = b"", False
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                seen = (seen + data)[-4096:]
                armed = armed or self.marker in seen
                if armed and not self.cut.is_set() and COMMIT in data:
                    cutting.set()
                    self.cut.set()
                    server.sendall(data)
                    time.sleep(0.5)  # the server reads the COMMIT before the connection goes
                    break
                server.sendall(data)
        for sock in (client, server):
            closed(sock)

    def _down(self, server: socket.socket, client: socket.socket, cutting: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while data := server.recv(65536):
                if cutting.is_set():
                    break
                client.sendall(data)
        closed(client)

    def close(self) -> None:
        self._listener.close()

    def server(self, behind: Neo4jServer) -> Neo4jServer:
        """``behind`` reached through the relay (``bolt://``: no routing table around it)."""
        return Neo4jServer(
            f"bolt://127.0.0.1:{self.port}",
            behind.username,
            behind.password,
            behind.database,
            "relay",
        )


def closed(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def upstream(server: Neo4jServer) -> tuple[str, int]:
    host, port = server.uri.split("://", 1)[1].rsplit(":", 1)
    return host, int(port)


@contextlib.contextmanager
def commit_cutter(server: Neo4jServer, marker: bytes) -> Iterator[CommitCutter]:
    cutter = CommitCutter(upstream(server), marker)
    try:
        yield cutter
    finally:
        cutter.close()
