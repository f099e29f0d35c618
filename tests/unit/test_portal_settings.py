"""The portal's own settings (where the services are) and the exhibitor kinds its forms offer."""

from __future__ import annotations

import pytest

from services.portal.domain.display import kind_choices
from services.portal.domain.exhibitor_forms import KINDS
from services.portal.domain.markets_forms import SUPPLIER_KINDS
from services.portal.settings import PortalSettings
from shared.contracts.registration import EXHIBITOR_KIND_LABELS, EXHIBITOR_KINDS

BACKENDS = ("registration", "booths", "markets", "billing", "subscriptions", "notifications")


@pytest.fixture
def clean_env(monkeypatch):
    for name in BACKENDS:
        monkeypatch.delenv(f"{name.upper()}_URL", raising=False)
    monkeypatch.delenv("PORTAL_BACKEND_TIMEOUT_S", raising=False)
    return monkeypatch


def test_without_environment_the_services_are_on_their_development_ports(clean_env):
    settings = PortalSettings()
    assert settings.service_urls() == {"registration": "http://127.0.0.1:8001", "booths": "http://127.0.0.1:8002",
                                       "markets": "http://127.0.0.1:8003", "billing": "http://127.0.0.1:8004",
                                       "subscriptions": "http://127.0.0.1:8005",
                                       "notifications": "http://127.0.0.1:8006"}
    assert settings.backend_timeout_s == 5.0


def test_each_service_url_is_read_from_its_name_url_variable(clean_env):
    clean_env.setenv("BOOTHS_URL", "http://booths:8002")
    clean_env.setenv("SUBSCRIPTIONS_URL", "")  # empty: the default
    clean_env.setenv("PORTAL_BACKEND_TIMEOUT_S", "7.5")
    settings = PortalSettings()
    assert settings.service_url("booths") == "http://booths:8002"
    assert settings.service_url("subscriptions") == "http://127.0.0.1:8005"
    assert settings.backend_timeout_s == 7.5


def test_a_test_passes_the_urls_by_field_name(clean_env):
    assert PortalSettings(markets_url="http://markets.test").service_url("markets") == "http://markets.test"


def test_a_service_the_portal_does_not_call_has_no_url(clean_env):
    with pytest.raises(KeyError):
        PortalSettings().service_url("portal")


def test_forms_name_the_kinds_as_the_contract_does_in_their_own_order():
    assert KINDS == (("household", "Hộ kinh doanh", "Household business"),
                     ("cooperative", "Hợp tác xã", "Cooperative"),
                     ("cooperative_group", "Tổ hợp tác", "Cooperative group"),
                     ("enterprise", "Doanh nghiệp", "Enterprise"))
    assert SUPPLIER_KINDS == (("cooperative", "Hợp tác xã", "Cooperative"),
                              ("enterprise", "Doanh nghiệp", "Enterprise"),
                              ("household", "Hộ kinh doanh", "Household business"))
    assert [k for k, _, _ in kind_choices(EXHIBITOR_KINDS)] == list(EXHIBITOR_KIND_LABELS)
