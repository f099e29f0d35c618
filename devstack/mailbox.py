"""The local SMTP server of the developer platform (aiosmtpd): every mail it receives is stored as an .eml file
in a folder (var/mailbox/ under `make run`), which the notifications service's development mailbox reads.

`python -m devstack.mailbox --port 8025 --dir var/mailbox` runs it; tests start `MailboxServer` on port 0."""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP, Envelope

log = structlog.get_logger()


@dataclass
class MailboxHandler:
    """Stores each received message as `<time>-<id>.eml` in `folder`; `received` keeps them in memory too."""

    folder: Path
    received: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook
        content = envelope.original_content or envelope.content or b""
        data = content if isinstance(content, bytes) else content.encode()
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.folder / f".{name}.part"
        tmp.write_bytes(data)
        tmp.rename(self.folder / name)  # whole files only: a reader never sees half a mail
        self.received.append(data)
        log.info("mailbox.received", to=list(envelope.rcpt_tos), file=name)
        return "250 Message accepted for delivery"


class MailboxServer:
    """A real SMTP server on 127.0.0.1 in the running event loop (port 0: one the system picks)."""

    def __init__(self, folder: Path, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.handler = MailboxHandler(folder)
        self.host, self.port = host, port
        self._server: asyncio.Server | None = None

    async def start(self) -> MailboxServer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: SMTP(self.handler, hostname="hangviet.local"),
                                                host=self.host, port=self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> MailboxServer:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.stop()


async def serve(folder: Path, host: str, port: int) -> None:
    """Serve until cancelled."""
    async with MailboxServer(folder, host=host, port=port) as server:
        log.info("mailbox.listening", host=host, port=server.port, folder=str(folder))
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="local SMTP server storing mails as .eml files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, default=Path("var/mailbox"))
    args = parser.parse_args()
    asyncio.run(serve(args.dir, args.host, args.port))


if __name__ == "__main__":
    main()
