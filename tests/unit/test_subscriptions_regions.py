"""Regions as data, what a token may see, and the service's settings read from the environment."""

from __future__ import annotations

import pytest

from services.subscriptions.domain.access import Reach, reach_of
from services.subscriptions.domain.regions import DEFAULT_REGIONS, Regions
from services.subscriptions.settings import SubscriptionsSettings
from shared.auth import Principal, Role
from shared.errors import Forbidden, Invalid
from shared.reference.geo import provinces

REGIONS = Regions.configured()


class TestDefaultRegions:
    def test_the_three_regions_cover_every_current_province_exactly_once(self):
        codes = [code for region in DEFAULT_REGIONS for code in region.provinces]
        assert sorted(codes) == sorted(p.code for p in provinces())
        assert len(codes) == len(set(codes)) == 34

    def test_name_the_ministrys_three_regional_centres(self):
        assert [r.id for r in DEFAULT_REGIONS] == ["north", "centre", "south"]
        assert [r.centre[-1] for r in DEFAULT_REGIONS] == ["1", "2", "3"]

    @pytest.mark.parametrize(("region", "inside", "outside"), [
        ("north", "08", "79"), ("centre", "48", "01"), ("south", "79", "48")])
    def test_place_provinces_where_expected(self, region, inside, outside):
        found = REGIONS.get(region)
        assert found is not None and inside in found.provinces and outside not in found.provinces


class TestExpandingRegions:
    def test_expands_regions_in_order_without_duplicates(self):
        codes = REGIONS.provinces_of(["south", "SOUTH", "north"])
        assert codes[:8] == list(REGIONS.get("south").provinces) and len(codes) == 23

    def test_refuses_an_unknown_region_naming_its_place_in_the_list(self):
        with pytest.raises(Invalid) as caught:
            REGIONS.provinces_of(["north", "atlantis"])
        assert caught.value.field == "regions.1"

    def test_an_operator_may_replace_the_regions(self):
        custom = Regions.configured({"tay-bac": ["11", "12", "14"]})
        assert [r.id for r in custom.all()] == ["tay-bac"] and custom.provinces_of(["tay-bac"]) == ["11", "12", "14"]


class TestReach:
    def test_a_regional_token_sees_its_region(self):
        reach = reach_of(Principal(Role.REGIONAL, "ttkc1", region="north"), REGIONS)
        assert reach.provinces == frozenset(REGIONS.get("north").provinces)

    def test_a_provinces_claim_narrows_a_regional_token_and_old_names_count(self):
        reach = reach_of(Principal(Role.REGIONAL, "so-ct", region="north", provinces=("Hà Giang", "15")), REGIONS)
        assert reach.provinces == {"08", "15"}

    def test_a_regional_token_bound_to_nothing_sees_nothing(self):
        assert reach_of(Principal(Role.REGIONAL, "x"), REGIONS).provinces == frozenset()
        assert reach_of(Principal(Role.REGIONAL, "x", region="mars"), REGIONS).provinces == frozenset()

    def test_an_organizer_sees_its_own_centre_anywhere_and_an_admin_everything(self):
        assert reach_of(Principal(Role.ORGANIZER, "tq", centre_id="tq"), REGIONS) == Reach(None, centre_id="tq")
        assert reach_of(Principal(Role.ADMIN, "ops"), REGIONS) == Reach(None)
        with pytest.raises(Forbidden):
            reach_of(Principal(Role.ORGANIZER, "nobody"), REGIONS)

    def test_check_and_clip(self):
        reach = Reach(frozenset({"08", "15"}))
        assert reach.clip(["08", "01"]) == {"08"}
        with pytest.raises(Forbidden) as caught:
            reach.check(["01", "08"], field="provinces")
        assert caught.value.field == "provinces" and "01" in caught.value.message


class TestSettings:
    def test_reads_the_webhook_policy_from_subscriptions_variables(self, monkeypatch):
        monkeypatch.setenv("SUBSCRIPTIONS_WEBHOOK_BASE_S", "2.5")
        monkeypatch.setenv("SUBSCRIPTIONS_WEBHOOK_MAX_S", "60")
        monkeypatch.setenv("SUBSCRIPTIONS_WEBHOOK_MAX_ATTEMPTS", "3")
        monkeypatch.setenv("SUBSCRIPTIONS_WEBHOOK_TIMEOUT_S", "4")
        monkeypatch.setenv("SUBSCRIPTIONS_REGIONS", '{"north": ["08"]}')
        monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "true")
        monkeypatch.delenv("HANGVIET_ENV", raising=False)
        settings = SubscriptionsSettings()
        policy = settings.policy()
        assert (policy.base_s, policy.max_s, policy.max_attempts, policy.timeout_s) == (2.5, 60, 3, 4)
        assert settings.webhook_allow_loopback
        assert settings.region_table().provinces_of(["north"]) == ["08"]

    def test_defaults_are_those_documented(self):
        settings = SubscriptionsSettings()
        policy = settings.policy()
        assert (policy.base_s, policy.max_s, policy.max_attempts, policy.timeout_s) == (30, 3600, 8, 10)
        assert settings.webhook_secret_overlap_s == 86_400

    def test_refuses_a_nonsense_policy(self, monkeypatch):
        monkeypatch.setenv("SUBSCRIPTIONS_WEBHOOK_MAX_ATTEMPTS", "0")
        with pytest.raises(ValueError, match=r"webhook_max_attempts|SUBSCRIPTIONS_WEBHOOK_MAX_ATTEMPTS"):
            SubscriptionsSettings()

    def test_refuses_regions_naming_unknown_provinces(self, monkeypatch):
        monkeypatch.setenv("SUBSCRIPTIONS_REGIONS", '{"north": ["08", "99"]}')
        with pytest.raises(ValueError, match="99"):
            SubscriptionsSettings()
