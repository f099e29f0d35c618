"""The Kubernetes manifests (deploy/k8s) hold what docs/operations.md promises; `make lint` validates their shape."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deploy.k8s.check import errors_of
from deploy.k8s.render import build, dump
from devstack.services import SERVICE_PORTS
from shared.contracts import all_topics

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = ("base", "production")
APIS = {"registration", "booths", "markets", "billing", "subscriptions", "notifications"}
# What each consumer reads (docs/architecture.md); the ScaledObjects must watch exactly these topics.
CONSUMES = {"registration": {"billing.events"}, "booths": {"registration.events", "billing.events"},
            "billing": {"registration.events", "booths.events"},
            "subscriptions": {"registration.events", "booths.events", "markets.events", "billing.events"},
            "notifications": {"registration.events", "booths.events", "billing.events"}}
PRIVATE_RANGES = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8"}
SECRET_WORDS = ("SECRET", "PASSWORD", "API_KEY", "TOKEN", "DATABASE_URL")

Obj = dict[str, Any]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[Obj]]:
    return request.param, build(K8S / request.param)


def of_kind(objects: list[Obj], kind: str) -> dict[str, Obj]:
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def pod_specs(objects: list[Obj]) -> dict[str, Obj]:
    """Every workload's pod template (Deployments and Jobs) by workload name."""
    return {obj["metadata"]["name"]: obj["spec"]["template"] for obj in objects if obj["kind"] in ("Deployment", "Job")}


def containers(template: Obj) -> list[Obj]:
    return template["spec"].get("initContainers", []) + template["spec"]["containers"]


class TestRendering:
    def test_every_object_is_valid(self, rendered: tuple[str, list[Obj]]) -> None:
        _, objects = rendered
        errors = {(obj["kind"], obj["metadata"]["name"]): errors_of(obj) for obj in objects}
        assert {key: found for key, found in errors.items() if found} == {}

    @pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its kustomize) is not installed")
    def test_the_renderer_prints_what_kubectl_kustomize_prints(self, rendered: tuple[str, list[Obj]]) -> None:
        overlay, objects = rendered
        real = subprocess.run(["kubectl", "kustomize", str(K8S / overlay)], capture_output=True, text=True,
                              check=True, timeout=60)
        assert dump(objects) == real.stdout


class TestDeployments:
    def test_every_service_runs_the_one_image_with_liveness_and_readiness_on_its_port(self, rendered):
        _, objects = rendered
        deployments = of_kind(objects, "Deployment")
        assert set(deployments) == set(SERVICE_PORTS)
        images = set()
        for name, deployment in deployments.items():
            (main,) = deployment["spec"]["template"]["spec"]["containers"]
            assert main["command"] == ["python", "-m", f"services.{name}"]
            assert main["ports"] == [{"name": "http", "containerPort": SERVICE_PORTS[name], "protocol": "TCP"}]
            # The kernel names no service: each container is told its port (the kernel's default is one port).
            assert {"name": "PORT", "value": str(SERVICE_PORTS[name])} in main["env"]
            assert main["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
            assert main["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
            images.add(main["image"])
        assert len(images) == 1

    def test_every_container_has_cpu_and_memory_requests_and_limits(self, rendered):
        _, objects = rendered
        for name, template in pod_specs(objects).items():
            for container in containers(template):
                resources = container["resources"]
                assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}, name

    def test_every_service_has_a_service_on_its_port_and_a_disruption_budget_for_its_pods(self, rendered):
        _, objects = rendered
        services, budgets = of_kind(objects, "Service"), of_kind(objects, "PodDisruptionBudget")
        for name, deployment in of_kind(objects, "Deployment").items():
            pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
            assert services[name]["spec"]["ports"] == [
                {"name": "http", "port": SERVICE_PORTS[name], "targetPort": "http", "protocol": "TCP"}]
            assert services[name]["spec"]["selector"].items() <= pod_labels.items()
            assert budgets[name]["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
            # maxUnavailable, not minAvailable: a budget of one replica must not block a node drain for ever.
            assert budgets[name]["spec"]["maxUnavailable"] == 1

    def test_a_pod_starts_only_once_its_database_is_at_the_revision_of_its_image(self, rendered):
        _, objects = rendered
        for name, deployment in of_kind(objects, "Deployment").items():
            spec = deployment["spec"]["template"]["spec"]
            (migrate,) = spec["initContainers"]
            assert migrate["command"] == ["hangviet", "migrate", name]
            (main,) = spec["containers"]
            assert migrate["image"] == main["image"]
            # The same settings: building the app validates them (billing's e-invoice provider, for one).
            assert (migrate["envFrom"], migrate["env"]) == (main["envFrom"], main["env"])

    def test_the_migrate_job_migrates_every_database_and_the_topics_job_creates_the_topics(self, rendered):
        _, objects = rendered
        jobs = of_kind(objects, "Job")
        (migrate,) = jobs["migrate"]["spec"]["template"]["spec"]["containers"]
        assert migrate["command"] == ["hangviet", "migrate", "all"]
        assert {env["name"] for env in migrate["env"]} >= {f"{name.upper()}_DATABASE_URL" for name in SERVICE_PORTS}
        (topics,) = jobs["topics"]["spec"]["template"]["spec"]["containers"]
        assert topics["command"] == ["hangviet", "topics"]


class TestSecrets:
    def test_no_secret_is_written_in_the_manifests_only_referenced(self, rendered):
        _, objects = rendered
        assert not of_kind(objects, "Secret")
        for config in of_kind(objects, "ConfigMap").values():
            for key, value in config["data"].items():
                assert not any(word in key for word in SECRET_WORDS), key
                assert "@" not in value, key  # no credentials in a URL
        for template in pod_specs(objects).values():
            for container in containers(template):
                for env in container.get("env", []):
                    if any(word in env["name"] for word in SECRET_WORDS):
                        assert set(env) == {"name", "valueFrom"} and "secretKeyRef" in env["valueFrom"], env

    def test_each_service_is_given_only_its_own_database(self, rendered):
        _, objects = rendered
        for name, deployment in of_kind(objects, "Deployment").items():
            for container in containers(deployment["spec"]["template"]):
                urls = {env["name"]: env["valueFrom"]["secretKeyRef"]["name"]
                        for env in container["env"] if env["name"].endswith("_DATABASE_URL")}
                assert urls == {f"{name.upper()}_DATABASE_URL": f"hangviet-{name}-db"}


def selects(selector: Obj, labels: dict[str, str]) -> bool:
    """A label selector (matchLabels, matchExpressions with In) against a pod's labels."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def peers(rule_peers: list[Obj], workloads: dict[str, Obj]) -> set[str]:
    """Who a rule's peers are: `ns:<name>`, `cidr:<range>`, or workloads of this namespace by name."""
    found: set[str] = set()
    for peer in rule_peers:
        if "ipBlock" in peer:
            block = peer["ipBlock"]
            assert PRIVATE_RANGES <= set(block.get("except", [])) or block["cidr"] != "0.0.0.0/0", block
            found.add("internet" if block["cidr"] == "0.0.0.0/0" else f"cidr:{block['cidr']}")
        elif "namespaceSelector" in peer:
            found.add("ns:" + peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"])
        else:
            found |= {name for name, template in workloads.items()
                      if selects(peer["podSelector"], template["metadata"]["labels"])}
    return found


def allowed(objects: list[Obj], direction: str) -> dict[str, set[tuple[str, str]]]:
    """For every workload, the (peer, port) pairs the NetworkPolicies allow in one direction."""
    workloads = pod_specs(objects)
    out: dict[str, set[tuple[str, str]]] = {name: set() for name in workloads}
    key, side = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    for policy in of_kind(objects, "NetworkPolicy").values():
        for name, template in workloads.items():
            if not selects(policy["spec"]["podSelector"], template["metadata"]["labels"]):
                continue
            for rule in policy["spec"].get(key, []):
                ports = [f"{p['port']}/{p['protocol']}" for p in rule.get("ports", [])] or ["any"]
                out[name] |= {(peer, port) for peer in peers(rule[side], workloads) for port in ports}
    return out


def expected_egress(overlay: str) -> dict[str, set[tuple[str, str]]]:
    store = (lambda name: "cidr:10.20.0.0/24") if overlay == "production" else (lambda name: f"ns:{name}")
    dns = {("ns:kube-system", "53/UDP"), ("ns:kube-system", "53/TCP")}
    postgres, kafka, redis = (store("postgres"), "5432/TCP"), (store("kafka"), "9092/TCP"), (store("redis"), "6379/TCP")
    out = {name: dns | {postgres} for name in SERVICE_PORTS}
    for name in APIS:
        out[name].add(kafka)
    for name in ("registration", "booths"):
        out[name].add(redis)
    out["registration"].add((store("minio"), "9000/TCP"))  # the documents' S3-compatible store
    out["portal"] |= {(api, "http/TCP") for api in APIS}
    out["subscriptions"].add(("internet", "any"))
    out["billing"].add(("internet", "443/TCP"))
    out["notifications"] |= {("internet", "587/TCP"), ("internet", "465/TCP"), ("internet", "25/TCP"),
                             ("billing", "http/TCP")}
    out["migrate"] = dns | {postgres}
    out["topics"] = dns | {kafka}
    return out


class TestNetworkPolicies:
    def test_everything_is_denied_unless_a_policy_allows_it(self, rendered):
        _, objects = rendered
        deny = of_kind(objects, "NetworkPolicy")["default-deny"]["spec"]
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}

    def test_pods_reach_dns_their_stores_and_nothing_else(self, rendered):
        overlay, objects = rendered
        assert allowed(objects, "Egress") == expected_egress(overlay)

    def test_only_the_portal_and_the_public_apis_are_reachable_from_the_ingress(self, rendered):
        _, objects = rendered
        outside = {("ns:ingress-nginx", "http/TCP"), ("ns:monitoring", "http/TCP")}
        expected = {name: set(outside) for name in SERVICE_PORTS}
        for name in APIS:
            expected[name].add(("portal", "http/TCP"))
        expected["billing"].add(("notifications", "http/TCP"))  # the invoice PDF a mail attaches
        expected |= {"migrate": set(), "topics": set()}
        assert allowed(objects, "Ingress") == expected


class TestAutoscaling:
    def test_each_consumer_scales_on_the_lag_of_its_group_on_every_topic_it_reads(self, rendered):
        _, objects = rendered
        scaled = of_kind(objects, "ScaledObject")
        assert set(scaled) == set(CONSUMES)
        for name, scaled_object in scaled.items():
            assert scaled_object["spec"]["scaleTargetRef"] == {"name": name}
            triggers = scaled_object["spec"]["triggers"]
            assert {t["type"] for t in triggers} == {"kafka"}
            assert {t["metadata"]["consumerGroup"] for t in triggers} == {f"hangviet.{name}"}
            assert {t["metadata"]["topic"] for t in triggers} == CONSUMES[name]

    def test_no_consumer_scales_beyond_the_partitions_of_the_topics_it_reads(self, rendered):
        _, objects = rendered
        partitions = all_topics()
        for name, scaled_object in of_kind(objects, "ScaledObject").items():
            spec = scaled_object["spec"]
            assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
            assert spec["maxReplicaCount"] <= min(partitions[topic] for topic in CONSUMES[name]), name
            assert all(t["metadata"].get("allowIdleConsumers", "false") == "false" for t in spec["triggers"])

    def test_what_keda_scales_has_no_fixed_replica_count_and_the_rest_has_one(self, rendered):
        _, objects = rendered
        for name, deployment in of_kind(objects, "Deployment").items():
            # A replica count in the manifest would undo KEDA's scaling at every apply.
            assert ("replicas" in deployment["spec"]) == (name not in CONSUMES), name
