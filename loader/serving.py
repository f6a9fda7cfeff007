"""An HTTP server of this process, served from a thread of its own for as long as a block
runs: the jars' forwarder to the Maven repository, and the tests' servers."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serving(server: http.server.HTTPServer) -> Iterator[str]:
    """``server``'s base URL (it listens on 127.0.0.1) while the block runs; then it stops
    and its socket is closed."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
