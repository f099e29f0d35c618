"""Pure rules of the subscriptions service: event-type patterns, provinces, backoff, URLs, signing."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.subscriptions.adapters import urls
from services.subscriptions.domain import delivery, matching, signing
from services.subscriptions.domain.delivery import DeliveryPolicy, DeliveryStatus
from services.subscriptions.domain.matching import Placement
from shared.contracts import EVENT_CLASSES
from shared.errors import Invalid, Rejected

KNOWN = [cls.event_name for cls in EVENT_CLASSES]


class TestEventTypePatterns:
    def test_accepts_names_prefixes_and_the_wildcard(self):
        assert matching.normalize_event_types(["fair.*", "registration.approved", "*"], KNOWN) == [
            "fair.*", "registration.approved", "*"]

    def test_drops_duplicates_keeping_order(self):
        assert matching.normalize_event_types(["fair.*", "fair.*", "invoice.paid"], KNOWN) == ["fair.*", "invoice.paid"]

    @pytest.mark.parametrize("pattern", ["fair.publish", "nothing.*", ".*", "fair*", "vn.hangviet.fair.published.v1"])
    def test_refuses_unknown_patterns_naming_the_field(self, pattern):
        with pytest.raises(Invalid) as caught:
            matching.normalize_event_types([pattern], KNOWN)
        assert caught.value.field == "event_types"

    def test_refuses_an_empty_list(self):
        with pytest.raises(Invalid) as caught:
            matching.normalize_event_types([], KNOWN)
        assert caught.value.field == "event_types"

    @pytest.mark.parametrize(("patterns", "name", "expected"), [
        (["fair.*"], "fair.published", True),
        (["fair.*"], "floorplan.published", False),
        (["registration.approved"], "registration.approved", True),
        (["registration.approved"], "registration.rejected", False),
        (["*"], "invoice.paid", True),
        (["session.*", "invoice.paid"], "invoice.paid", True),
    ])
    def test_matches_event_names(self, patterns, name, expected):
        assert matching.event_type_matches(patterns, name) is expected


class TestProvinceFilter:
    def test_matches_only_the_subscribed_provinces(self):
        wanted = {"event_types": ["fair.*"], "provinces": ["08", "15"], "event_name": "fair.published"}
        assert matching.subscription_matches(**wanted, province_code="08")
        assert not matching.subscription_matches(**wanted, province_code="01")

    def test_an_unplaced_event_matches_nothing(self):
        assert not matching.subscription_matches(event_types=["*"], provinces=["08"], event_name="fair.closed",
                                               province_code=None)


class TestPlacingEvents:
    def test_an_event_with_its_own_province_is_placed_there(self):
        assert matching.place_event(Placement(province_code="08", fair_id="f1"), fairs={"f1": "01"},
                                  programmes={}) == "08"

    def test_an_event_about_a_fair_takes_the_fair_province(self):
        assert matching.place_event(Placement(fair_id="f1"), fairs={"f1": "08"}, programmes={}) == "08"

    def test_a_billing_event_keyed_by_programme_takes_the_programme_province(self):
        assert matching.place_event(Placement(fair_id="p1"), fairs={}, programmes={"p1": "15"}) == "15"

    def test_an_event_about_an_unknown_fair_is_unplaced(self):
        assert matching.place_event(Placement(fair_id="f9"), fairs={"f1": "08"}, programmes={}) is None

    def test_fair_and_programme_events_teach_places(self):
        class Published:
            fair_id, province_code = "f1", "08"

        learned = matching.place_learned("fair.published", Published())
        assert learned == matching.LearnedPlace(kind="fair", aggregate_id="f1", province_code="08")
        assert matching.place_learned("fair.closed", Published()) is None


class TestBackoff:
    policy = DeliveryPolicy(base_s=10, max_s=100, max_attempts=4)

    @pytest.mark.parametrize(("attempts", "low", "high"), [
        (1, 5, 10), (2, 10, 20), (3, 20, 40), (4, 40, 80), (5, 50, 100), (9, 50, 100)])
    def test_doubles_then_caps_with_equal_jitter(self, attempts, low, high):
        assert delivery.retry_delay_s(attempts, self.policy, 0.0) == low
        assert delivery.retry_delay_s(attempts, self.policy, 1.0) == high

    def test_jitter_from_a_real_random_source_spreads_the_delays_within_their_bounds(self):
        source = random.Random()  # seeded by the operating system, as the delivery worker's `random.random`
        for attempts, low, high in ((1, 5, 10), (3, 20, 40), (9, 50, 100)):
            delays = [delivery.retry_delay_s(attempts, self.policy, source.random()) for _ in range(200)]
            assert all(low <= d <= high for d in delays), attempts
            assert len(set(delays)) > 190, attempts  # receivers failing together are not retried together
            quarter = (high - low) / 4
            assert min(delays) < low + quarter and max(delays) > high - quarter, attempts  # the whole range

    def test_parks_once_the_attempts_are_spent(self):
        assert delivery.next_status(succeeded=False, attempts=3, policy=self.policy) is DeliveryStatus.PENDING
        assert delivery.next_status(succeeded=False, attempts=4, policy=self.policy) is DeliveryStatus.PARKED
        assert delivery.next_status(succeeded=True, attempts=4, policy=self.policy) is DeliveryStatus.DELIVERED

    @pytest.mark.parametrize(("code", "ok"), [(200, True), (204, True), (299, True), (301, False), (500, False),
                                              (None, False)])
    def test_only_2xx_is_success(self, code, ok):
        assert delivery.is_success(code) is ok


class TestWebhookUrl:
    @pytest.mark.parametrize("url", ["ftp://x/", "file:///etc/passwd", "http://", "gopher://a", "http://u:p@a.vn/",
                                     "http://a.vn:99999/"])
    def test_refuses_bad_shapes(self, url):
        with pytest.raises(Invalid) as caught:
            urls.parse_webhook_url(url)
        assert caught.value.field == "url"

    def test_fills_the_default_port(self):
        assert urls.parse_webhook_url("https://hook.example.vn/x").port == 443
        assert urls.parse_webhook_url("HTTP://hook.example.vn:8080/x").scheme == "http"

    @pytest.mark.parametrize(("address", "reason"), [
        ("10.0.0.1", "private"), ("192.168.1.1", "private"), ("172.16.0.1", "private"),
        ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("224.0.0.1", "multicast"),
        ("224.0.1.1", "multicast"), ("0.0.0.0", "unspecified"), ("::", "unspecified"),
        ("100.64.0.1", "non-public"), ("::ffff:10.0.0.1", "private"), ("fd00:ec2::254", "private"),
        ("127.0.0.1", "loopback"), ("::1", "loopback"),
    ])
    def test_refuses_non_public_addresses(self, address, reason):
        refusal = urls.address_refusal(address, allow_loopback=False)
        assert refusal is not None and reason in refusal

    def test_allows_loopback_only_when_told(self):
        assert urls.address_refusal("127.0.0.1", allow_loopback=True) is None
        assert urls.address_refusal("169.254.169.254", allow_loopback=True) is not None

    def test_allows_public_addresses(self):
        assert urls.address_refusal("203.113.131.1", allow_loopback=False) is None
        assert urls.address_refusal("2001:ee0::1", allow_loopback=False) is None

    def test_refuses_a_host_when_any_of_its_addresses_is_refused(self):
        with pytest.raises(Invalid):
            urls.check_addresses(["203.113.131.1", "10.0.0.1"], allow_loopback=False)


class TestSigning:
    def test_a_new_secret_is_24_random_bytes_in_whsec_form(self):
        secret = signing.new_secret()
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
        assert secret != signing.new_secret()

    def test_the_standardwebhooks_library_verifies_our_headers(self):
        import time

        secret, body = signing.new_secret(), '{"id":"e1","data":{"tên":"Hội chợ"}}'.encode()
        headers = signing.webhook_headers(secret, msg_id="e1", timestamp=int(time.time()), body=body)
        assert Webhook(secret).verify(body, headers) == {"id": "e1", "data": {"tên": "Hội chợ"}}
        with pytest.raises(WebhookVerificationError):
            Webhook(signing.new_secret()).verify(body, headers)

    def test_matches_the_reference_vector_of_the_specification(self):
        # The example of the standard-webhooks reference libraries.
        signature = signing.sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
                                 timestamp=1614265330, body=b'{"test": 2432232314}')
        assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


class TestFilters:
    wanted = matching.Filter(("fair.*", "session.scheduled"), frozenset({"08", "15"}))

    @pytest.mark.parametrize(("facts", "expected"), [
        (matching.EventFacts("fair.published", "08"), True),
        (matching.EventFacts("session.scheduled", "15", programme_id="p1"), True),
        (matching.EventFacts("session.cancelled", "15"), False),
        (matching.EventFacts("fair.published", "01"), False),
        (matching.EventFacts("fair.published", None), False),
    ])
    def test_matches_types_and_provinces(self, facts, expected):
        assert matching.matches(self.wanted, facts) is expected

    def test_a_fair_scope_keeps_only_that_fairs_events(self):
        scoped = matching.Filter(("*",), frozenset({"08"}), fair_id="f1")
        assert matching.matches(scoped, matching.EventFacts("registration.approved", "08", fair_id="f1"))
        assert not matching.matches(scoped, matching.EventFacts("registration.approved", "08", fair_id="f2"))

    def test_a_programme_scope_keeps_only_that_programmes_events(self):
        scoped = matching.Filter(("session.*",), frozenset({"08"}), programme_id="p1")
        assert matching.matches(scoped, matching.EventFacts("session.scheduled", "08", programme_id="p1"))
        assert not matching.matches(scoped, matching.EventFacts("session.scheduled", "08", programme_id="p2"))

    def test_an_organizing_centre_sees_only_its_own(self):
        own = matching.Filter(("*",), frozenset({"08"}), centre_id="tq")
        assert matching.matches(own, matching.EventFacts("fair.published", "08", centre_id="tq"))
        assert not matching.matches(own, matching.EventFacts("fair.published", "08", centre_id="hg"))
        assert not matching.matches(own, matching.EventFacts("fair.published", "08"))

    def test_a_billing_event_keyed_by_programme_is_about_the_programme(self):
        placement = Placement(fair_id="p1")
        assert matching.aggregate_ids(placement, programmes={"p1": "08"}) == (None, "p1")
        assert matching.aggregate_ids(placement, programmes={}) == ("p1", None)


class TestRetrySchedule:
    def test_the_ceiling_doubles_from_the_base_up_to_the_cap(self):
        policy = DeliveryPolicy(base_s=1, max_s=6)
        assert [delivery.retry_ceiling_s(n, policy) for n in range(1, 6)] == [1, 2, 4, 6, 6]


class TestSecretRotation:
    now = datetime(2026, 11, 1, tzinfo=UTC)

    def test_signs_with_both_secrets_during_the_overlap_then_with_the_new_one(self):
        both = delivery.signing_secrets(current="new", previous="old", previous_until=self.now + timedelta(hours=1),
                                      now=self.now)
        after = delivery.signing_secrets(current="new", previous="old", previous_until=self.now, now=self.now)
        assert both == ["new", "old"] and after == ["new"]
        assert delivery.signing_secrets(current="new", previous=None, previous_until=None, now=self.now) == ["new"]

    def test_a_receiver_holding_either_secret_verifies_a_doubly_signed_delivery(self):
        import time

        old, new, body = signing.new_secret(), signing.new_secret(), b'{"id":"e1"}'
        headers = signing.webhook_headers([new, old], msg_id="e1", timestamp=int(time.time()), body=body)
        assert len(headers["webhook-signature"].split(" ")) == 2
        assert Webhook(old).verify(body, headers) == Webhook(new).verify(body, headers) == {"id": "e1"}
        with pytest.raises(WebhookVerificationError):
            Webhook(signing.new_secret()).verify(body, headers)


class TestLatePlacement:
    def test_an_event_placed_late_takes_the_place_and_centre_of_its_fair(self):
        learned = matching.LearnedPlace(kind="fair", aggregate_id="f1", province_code="08", centre_id="tq")
        placed = matching.placed_later(matching.EventFacts("floorplan.published", None, fair_id="f1"), learned)
        assert placed == matching.EventFacts("floorplan.published", "08", fair_id="f1", centre_id="tq")

    def test_a_billing_charge_keyed_by_programme_becomes_about_the_programme(self):
        learned = matching.LearnedPlace(kind="programme", aggregate_id="p1", province_code="15", centre_id="lc")
        placed = matching.placed_later(matching.EventFacts("invoice.issued", None, fair_id="p1"), learned)
        assert (placed.fair_id, placed.programme_id, placed.province_code) == (None, "p1", "15")


class TestStatuses:
    def test_a_delivery_goes_from_pending_to_delivered_or_parked_and_back_only_by_redelivery(self):
        from services.subscriptions.domain.delivery import DELIVERY_TRANSITIONS

        DELIVERY_TRANSITIONS.check(DeliveryStatus.PENDING, DeliveryStatus.DELIVERED)
        DELIVERY_TRANSITIONS.check(DeliveryStatus.PENDING, DeliveryStatus.PARKED)
        DELIVERY_TRANSITIONS.check(DeliveryStatus.PARKED, DeliveryStatus.PENDING)
        for current, target in ((DeliveryStatus.DELIVERED, DeliveryStatus.PENDING),
                                (DeliveryStatus.PARKED, DeliveryStatus.DELIVERED)):
            with pytest.raises(Rejected, match="delivery") as refused:
                DELIVERY_TRANSITIONS.check(current, target)
            assert refused.value.code == "invalid-transition"

    def test_a_deactivated_subscription_stays_so(self):
        from services.subscriptions.domain.subscription import SUBSCRIPTION_TRANSITIONS, SubscriptionStatus, status_of

        assert status_of(active=True) is SubscriptionStatus.ACTIVE
        SUBSCRIPTION_TRANSITIONS.check(status_of(active=False), SubscriptionStatus.DEACTIVATED)  # staying put
        with pytest.raises(Rejected, match="cannot go from deactivated"):
            SUBSCRIPTION_TRANSITIONS.check(SubscriptionStatus.DEACTIVATED, SubscriptionStatus.ACTIVE)
