"""The one list of services (devstack/services.py) and what must agree with it: the kernel names none of them,
compose.yaml tells each its port."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from devstack.services import BY_NAME, SERVICE_ORDER, SERVICE_PORTS, SERVICES

ROOT = Path(__file__).resolve().parents[2]


def test_every_service_directory_is_listed_once_and_the_portal_starts_last() -> None:
    folders = {p.parent.name for p in (ROOT / "services").glob("*/__main__.py")}
    assert set(SERVICE_ORDER) == folders and len(SERVICE_ORDER) == len(folders)
    assert SERVICE_ORDER[-1] == "portal"
    assert len(set(SERVICE_PORTS.values())) == len(SERVICES)


def test_the_kernel_names_no_service() -> None:
    """Adding a service touches no kernel file: no code in shared/ (its event contracts aside) holds a service's
    name as a string or a name (docstrings and comments are not code)."""
    named: list[str] = []
    for path in sorted((ROOT / "shared").rglob("*.py")):
        if "contracts" in path.relative_to(ROOT / "shared").parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                words = {node.value, node.value.split(".")[0], node.value.upper()}
                hits = [s for s in SERVICE_ORDER if s in words or s.upper() in words or f"services.{s}" in node.value]
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                hits = [m for m in modules if m.startswith(("services", "devstack"))]
            else:
                continue
            named += [f"{path.relative_to(ROOT)}:{node.lineno}: {hit}" for hit in hits]
    assert named == []


def test_compose_runs_each_service_on_its_port() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))["services"]
    for service in SERVICES:
        entry = compose[service.name]
        assert entry["command"] == ["python", "-m", service.module]
        assert entry["environment"]["PORT"] == str(service.port)
        assert f"http://127.0.0.1:{service.port}/ready" in " ".join(entry["healthcheck"]["test"])


def test_on_picked_ports_callers_start_once_the_others_listen_and_the_portal_last() -> None:
    from devstack.platform import start_waves

    waves = start_waves(SERVICE_ORDER, dict.fromkeys(SERVICE_PORTS, 0))
    assert waves[-1] == ["portal"] and waves[-2] == ["notifications"]
    assert sorted(s for wave in waves for s in wave) == sorted(SERVICE_ORDER)
    assert not any(BY_NAME[s].calls_others for s in waves[0])
    assert start_waves(["markets"], {"markets": 0}) == [["markets"]]


def test_on_given_ports_every_service_starts_at_once() -> None:
    from devstack.platform import start_waves

    assert start_waves(SERVICE_ORDER, SERVICE_PORTS) == [list(SERVICE_ORDER)]
    assert len(start_waves(SERVICE_ORDER, {**SERVICE_PORTS, "billing": 0})) == 3, "one port unknown: waves"
