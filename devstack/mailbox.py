"""The local SMTP server of the developer platform (aiosmtpd): every mail it receives is stored as an .eml file
in a folder (var/mailbox/ under `make run`), which the notifications service's development mailbox reads.

`python -m devstack.mailbox --port 8025 --dir var/mailbox` runs it; tests start `MailboxServer` on port 0."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
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

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
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


async def serve(folder: Path, host: str, port: int, port_file: Path | None = None) -> None:
    """Serve until cancelled; with `port_file`, write the port there once listening (port 0: the system's pick)."""
    async with MailboxServer(folder, host=host, port=port) as server:
        if port_file is not None:
            port_file.write_text(str(server.port))
        log.info("mailbox.listening", host=host, port=server.port, folder=str(folder))
        await asyncio.Event().wait()


async def start_mailbox(var_dir: Path, timeout: float = 30) -> tuple[subprocess.Popen[bytes], dict[str, str]]:  # noqa: ASYNC109
    """Start the local SMTP server as a child process on a port the system picks, storing mails in
    `var_dir`/mailbox; returns it and the environment that points the notifications service at it."""
    from devstack.embedded import InfraStartError, log_tail, spawn

    folder, port_file, log_path = var_dir / "mailbox", var_dir / "mailbox.port", var_dir / "logs" / "mailbox.log"
    port_file.unlink(missing_ok=True)
    proc = spawn([sys.executable, "-m", "devstack.mailbox", "--port", "0", "--dir", str(folder),
                  "--port-file", str(port_file)], log_path)
    deadline = time.monotonic() + timeout
    while not (port_file.is_file() and port_file.read_text().strip()):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise InfraStartError(f"the local SMTP server did not start:\n{log_tail(log_path)}")
        await asyncio.sleep(0.05)
    port = port_file.read_text().strip()
    log.info("mailbox_ready", port=port, folder=str(folder))
    return proc, {"NOTIFICATIONS_SMTP_HOST": "127.0.0.1", "NOTIFICATIONS_SMTP_PORT": port,
                  "NOTIFICATIONS_SMTP_STARTTLS": "false", "NOTIFICATIONS_MAILBOX_DIR": str(folder)}


def main() -> None:
    parser = argparse.ArgumentParser(description="local SMTP server storing mails as .eml files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, default=Path("var/mailbox"))
    parser.add_argument("--port-file", type=Path, default=None, help="write the port there once listening")
    args = parser.parse_args()
    asyncio.run(serve(args.dir, args.host, args.port, args.port_file))


if __name__ == "__main__":
    main()
