"""A fake licensed e-invoice provider, run as its own process by the tests (never by the platform).

``python -m tests.integration.fake_einvoice_provider --port N --api-key K [--username U --password P]
[--port-file F]`` (port 0: the process binds a free port itself and writes it to F)

- ``POST /invoices`` takes an HDon XML document with an ``Idempotency-Key`` header and answers the authority's
  code (``{"mccqt": …, "transaction_id": …}``; ``mccqt`` null for an invoice without code, K symbol): 201 the
  first time, 200 with the same answer for the same key (registered once, whatever the number of calls).
- Credentials: ``Authorization: Bearer <api key>`` or HTTP basic; anything else is 401.
- ``POST /_control`` ``{"fail": [503, …], "lose": n}``: answer the next calls with these statuses before looking
  at them; register the next ``n`` documents and then answer 503, as if the answer were lost on the way back.
- ``GET /_control``: how many calls came and how many times each key was registered.
"""

from __future__ import annotations

import argparse
import base64
import secrets
import uuid
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from lxml import etree

from shared.serve import bind, report_port


def create_fake(*, api_key: str = "", username: str = "", password: str = "") -> FastAPI:
    app = FastAPI(title="fake e-invoice provider")
    state: dict[str, Any] = {"fail": [], "lose": 0, "calls": 0, "registered": {}, "answers": {}}

    def authorised(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if api_key and secrets.compare_digest(header, f"Bearer {api_key}"):
            return True
        expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        return bool(username) and secrets.compare_digest(header, expected)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/_control")
    async def control(body: dict[str, Any]) -> dict[str, Any]:
        state["fail"] = list(body.get("fail", []))
        state["lose"] = int(body.get("lose", 0))
        return {"ok": True}

    @app.get("/_control")
    async def report() -> dict[str, Any]:
        return {"calls": state["calls"], "registered": state["registered"]}

    @app.post("/invoices")
    async def register(request: Request) -> Response:
        state["calls"] += 1
        if state["fail"]:
            return JSONResponse({"error": "temporarily unavailable"}, status_code=state["fail"].pop(0))
        if not authorised(request):
            return JSONResponse({"error": "bad credentials"}, status_code=401)
        key = request.headers.get("idempotency-key", "")
        if not key:
            return JSONResponse({"error": "Idempotency-Key is required"}, status_code=400)
        if key in state["answers"]:
            return JSONResponse(state["answers"][key], status_code=200)
        try:
            document = etree.fromstring(await request.body())
        except etree.XMLSyntaxError as exc:
            return JSONResponse({"error": f"not XML: {exc}"}, status_code=422)
        symbol = document.findtext("DLHDon/TTChung/KHHDon") or ""
        if document.tag != "HDon" or not symbol:
            return JSONResponse({"error": "not an HDon document"}, status_code=422)
        code = ("00" + uuid.uuid4().hex.upper()) if symbol.startswith("C") else None
        state["answers"][key] = {"mccqt": code, "transaction_id": f"tx-{len(state['answers']) + 1}"}
        state["registered"][key] = state["registered"].get(key, 0) + 1
        if state["lose"]:
            state["lose"] -= 1
            return JSONResponse({"error": "gateway timeout after registering"}, status_code=503)
        return JSONResponse(state["answers"][key], status_code=201)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--port-file", default="")
    parser.add_argument("--api-key", default="")
    parser.add_argument("--username", default="")
    parser.add_argument("--password", default="")
    args = parser.parse_args()
    app = create_fake(api_key=args.api_key, username=args.username, password=args.password)
    sock = bind("127.0.0.1", args.port)  # bound here, then reported: no port found free and bound again later
    port = sock.getsockname()[1]
    if args.port_file:
        report_port(port, args.port_file)
    uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")).run(sockets=[sock])


if __name__ == "__main__":
    main()
