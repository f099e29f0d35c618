"""Ports for the tests without the bind-release-rebind race of asking for a free port and binding it later."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from shared.serve import bind


@contextmanager
def refused_port() -> Iterator[int]:
    """A port nobody answers on, for the block: bound and never listening, so a connection to it is refused at once
    and no other process can take it meanwhile."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])


def listening_socket() -> socket.socket:
    """A socket bound to a port the system chose and listening, to hand to a server (uvicorn's `sockets=`, or a
    child process as an inherited descriptor): the port is known and held before anything is served."""
    sock = bind("127.0.0.1", 0)
    sock.listen(128)
    return sock
