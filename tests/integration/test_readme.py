"""The README's "Try the saga by hand" block, run as it is written against the real platform (issue 14).

The block between `<!-- try-the-saga:begin -->` and `<!-- try-the-saga:end -->` is extracted from README.md and
run with bash against a platform started as `make run` starts it (Tansu, redis-server, the six services as
processes, loopback webhooks allowed), its URLs given in the environment variables the block reads. The block
starts its own webhook receiver and waits (bounded) for the `invoice.issued` webhook; this test checks that it
went through and verifies the delivered webhook's signature with the subscription's secret itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from standardwebhooks.webhooks import Webhook

from devstack.platform import Platform, start_platform
from shared.auth import Role, issue_token
from shared.settings import load_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(480)]

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"<!-- try-the-saga:begin -->\n```bash\n(?P<script>.*?)```\n<!-- try-the-saga:end -->", re.S)
REGIONAL = {"Authorization": "Bearer " + issue_token(load_settings("tests").jwt_secret, role=Role.REGIONAL,
                                                   subject="ttkc1", region="north")}  # the block's regional centre
SCRIPT_TIMEOUT_S = 150  # three token commands, a dozen calls, and the block's own bounded wait (WAIT_S, 60 s)


def readme_block() -> str:
    """The one shell block between the markers."""
    blocks = BLOCK.findall(README.read_text(encoding="utf-8"))
    assert len(blocks) == 1, f"README.md must hold one try-the-saga block between its markers, not {len(blocks)}"
    return str(blocks[0])


def hangviet_command() -> str:
    """The command line the block runs as `$HANGVIET`: the `hangviet` script of the environment running the tests
    (what `uv run hangviet` runs, without a `uv sync` of the shared working tree from inside a test)."""
    script = Path(sys.executable).parent / "hangviet"
    if script.exists():
        return str(script)
    return "uv run hangviet"  # pragma: no cover - an environment without the project's scripts


def labelled_json(output: str, label: str) -> dict:
    """The JSON printed after `label: ` on a line of its own."""
    found = [line.removeprefix(f"{label}: ") for line in output.splitlines() if line.startswith(f"{label}: ")]
    assert len(found) == 1, f"expected one line starting with {label!r}:\n{output}"
    return dict(json.loads(found[0]))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    var_dir: Path = tmp_path_factory.mktemp("platform")
    # As `make run` sets it in development (devstack/cli.py development_env): webhooks to this machine allowed.
    # The four services the block calls (its *_URL variables), no more.
    running = await start_platform(var_dir, services=("registration", "booths", "billing", "subscriptions"),
                                   extra_env={"WEBHOOK_ALLOW_LOOPBACK": "true", "HANGVIET_ENV": "test"})
    yield running
    running.stop()


async def run_block(script: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run the block with bash in a session of its own; killed with everything it started when it overruns."""
    process = await asyncio.create_subprocess_exec(
        "bash", "-c", script, "try-saga.sh", cwd=cwd, env=env, start_new_session=True,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=SCRIPT_TIMEOUT_S)
    except TimeoutError:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = await process.communicate()
        raise AssertionError(f"the README block ran longer than {SCRIPT_TIMEOUT_S}s\nstdout:\n{stdout.decode()}\n"
                             f"stderr:\n{stderr.decode()}") from None
    return process.returncode or 0, stdout.decode(), stderr.decode()


def test_the_block_needs_no_jq() -> None:
    """The README says the block needs only bash, curl and python3."""
    assert not re.search(r"\bjq\b", readme_block())


@pytest.mark.asyncio(loop_scope="module")
async def test_the_readme_saga_block_runs_and_the_webhook_arrives_signed(platform: Platform) -> None:
    assert shutil.which("bash") and shutil.which("curl") and shutil.which("python3")
    env = {**os.environ,
           "REGISTRATION_URL": platform.url("registration"), "BOOTHS_URL": platform.url("booths"),
           "BILLING_URL": platform.url("billing"), "SUBSCRIPTIONS_URL": platform.url("subscriptions"),
           "HANGVIET": hangviet_command(),
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(name, None)
    # Twice, as a user may run it: the second run finds the exhibitor's profile and makes a fair of its own.
    for run in (1, 2):
        code, out, err = await run_block(readme_block(), env, cwd=README.parent)
        report = f"run {run}: exit {code}\nstdout:\n{out}\nstderr:\n{err}"
        assert code == 0, report
        assert "signature: valid" in out.splitlines(), report
        assert any(line.startswith("exhibitor: ") for line in out.splitlines()) == (run == 1), report

        subscription = labelled_json(out, "subscription")
        secret = subscription["secret"]
        assert secret.startswith("whsec_"), report
        registration_id = labelled_json(out, "registration")["id"]
        assert labelled_json(out, "approved")["status"] == "approved", report
        delivered = labelled_json(out, "delivered")
        headers, body = delivered["headers"], delivered["body"]
        Webhook(secret).verify(body.encode(), headers)  # raises when the signature does not match the secret
        assert headers["content-type"].startswith("application/cloudevents+json"), headers
        event = json.loads(body)
        assert event["type"] == "vn.hangviet.invoice.issued.v1", event
        assert event["id"] == headers["webhook-id"]
        assert event["data"]["registration_id"] == registration_id, event
        assert event["correlationid"] == f"try-{registration_id}", event
        assert event["data"]["payable_vnd"] > 0, event
        assert [i["id"] for i in labelled_json(out, "invoices")["data"]] == [event["data"]["invoice_id"]], report
        # It cleaned up after itself: its subscription no longer sends to the receiver it stopped.
        async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
            res = await client.get(f"{platform.url('subscriptions')}/subscriptions/{subscription['id']}",
                                   headers=REGIONAL)
        assert res.status_code == 200 and res.json()["active"] is False, res.text
        print(report)  # what a user sees (shown with -rP)
