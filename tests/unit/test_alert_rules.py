"""deploy/'s Prometheus alert rules and Grafana dashboard load, and every metric they name is one some service
exports on GET /metrics (each of the six started in memory, as the service tests start them)."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import running_app

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SERVICES = ("registration", "booths", "markets", "billing", "subscriptions", "portal")
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created"),
            "summary": ("_sum", "_count", "_created"), "gauge": (), "untyped": (), "info": ("_info",)}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
            "offset", "inf", "nan"}


def alert_expressions() -> list[str]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "hangviet.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are not functions, keywords, label names
    (inside {…}, by (…), without (…)) or durations."""
    text = re.sub(r'"[^"]*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    found = re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text)
    return {m.group(1) for m in found if not m.group(2) and m.group(1).lower() not in KEYWORDS}


def exported_names(exposition: str) -> Iterator[str]:
    """Every series name a /metrics text holds, with the suffixes its families' types give (a family with no
    samples yet, such as a labelled counter nothing incremented, counts too)."""
    for family in text_string_to_metric_families(exposition):
        yield family.name
        yield from (family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        yield from (sample.name for sample in family.samples)


def make_app(service: str, settings):
    app_module = importlib.import_module(f"services.{service}.app")
    return app_module.create_app(settings)


@pytest.fixture
async def exported(settings_for, tmp_path) -> set[str]:
    names: set[str] = set()
    for service in SERVICES:
        settings = settings_for(service, database_url=f"sqlite+aiosqlite:///{tmp_path / service}.db")
        app = make_app(service, settings)
        async with running_app(app) as client:
            await client.get("/health")
            response = await client.get("/metrics")
        assert response.status_code == 200, service
        names.update(exported_names(response.text))
    return names


def test_metric_names_are_read_from_promql():
    assert metric_names('deriv(sum by (job, consumer) (hangviet_consumer_lag_messages)[10m:1m]) > 0 '
                        'and increase(hangviet_consumer_events_total{outcome="dead_lettered"}[10m]) > 100') == {
        "hangviet_consumer_lag_messages", "hangviet_consumer_events_total"}
    assert metric_names("histogram_quantile(0.95, sum by (le) (rate(x_seconds_bucket[5m])))") == {"x_seconds_bucket"}


def test_the_alert_rules_cover_what_operators_are_paged_for():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    alerts = {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}
    assert {"OutboxStuck", "EventDeadLettered", "EventParkedTooLong", "ConsumerLagGrowing",
            "WebhookSubscriptionParked"} <= set(alerts)
    assert all(rule["labels"]["severity"] in {"warning", "critical"} for rule in alerts.values())
    assert "> 60" in alerts["OutboxStuck"]["expr"] and "> 3600" in alerts["EventParkedTooLong"]["expr"]
    assert alerts["ConsumerLagGrowing"]["for"] == "10m"


def test_the_dashboard_has_panels_with_queries():
    dashboard = json.loads((DEPLOY / "grafana" / "hangviet.json").read_text())
    assert dashboard["uid"] and len(dashboard["panels"]) >= 10
    assert all(panel.get("targets") for panel in dashboard["panels"])


async def test_every_metric_the_alerts_and_the_dashboard_name_is_exported(exported):
    named = {name: expr for expr in [*alert_expressions(), *dashboard_expressions()] for name in metric_names(expr)}
    assert all(metric_names(expr) for expr in [*alert_expressions(), *dashboard_expressions()])
    missing = {name: expr for name, expr in named.items() if name not in exported}
    assert not missing, f"named in deploy/ but exported by no service: {missing}"
