"""One authorization matrix for the platform: every route of every service, as each of eight principals (the
anonymous caller, exhibitors A and B, the organizers of centres X and Y, the regional centres of the north and
the south, an admin), on an object of its own tenant and on another tenant's, answers what its rule says.

The routes are read from the apps (`shared.openapi.operations`): a route without a row fails, and so does a row
naming no route. The rules are in tests/service/authz_*.py; a cell whose current answer looked wrong for tenant
isolation would be kept with `Rule.suspect` naming why — none had to be. Beside the matrix: calls mixing two
tenants' objects, a forged token on every route, and the portal's pages (read from its routes).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.portal.app import create_app as portal_app
from services.registration.app import create_app as registration_app
from shared.auth import CurrentPrincipal
from shared.problems import install_problem_handlers
from tests.conftest import running_app
from tests.service import (
    authz_billing,
    authz_booths,
    authz_markets,
    authz_notifications,
    authz_portal,
    authz_registration,
    authz_subscriptions,
)
from tests.service.authz_support import (
    ROLE,
    Call,
    World,
    cookie_of,
    coverage_problems,
    forged_token_answers,
    may,
    run_matrix,
)
from tests.service.booths_support import booths_redis_url  # noqa: F401 - a fixture
from tests.service.booths_support import make_app as booths_app
from tests.service.test_subscriptions_pull import served

# Who may call what is decided in the services' code from the token and the row's owner columns, the same SQL on
# both databases; the PostgreSQL pass (66 s of the suite on a loaded machine) would repeat the SQLite one.
pytestmark = pytest.mark.sqlite_only(reason="the rule per route does not depend on the database")


def assert_answers(wrong: list[Any], made: int, forged: list[str]) -> None:
    """No answer differs from its rule, and a forged token is refused wherever a token is read."""
    assert not wrong, f"{len(wrong)} of {made} answers differ:\n" + "\n".join(map(str, wrong))
    assert forged == []


class TestRegistration:
    def test_every_route_has_exactly_one_row(self, settings_for):
        app = registration_app(settings_for("registration"))
        extra = authz_registration.EXTRA_CALLS + authz_registration.MIXED_CALLS
        assert coverage_problems(app, authz_registration.CALLS, extra) == []

    async def test_every_route_answers_every_principal_as_its_rule_says(self, settings_for):
        app = registration_app(settings_for("registration"))
        async with running_app(app) as client:
            world = await authz_registration.RegistrationWorld(client, app.state.settings).setup()
            wrong, made = await run_matrix(client, app.state.settings, world,
                                           authz_registration.CALLS + authz_registration.EXTRA_CALLS
                                           + authz_registration.MIXED_CALLS)
            forged = await forged_token_answers(client, app, world, authz_registration.CALLS)
        assert_answers(wrong, made, forged)


class TestBilling:
    def test_every_route_has_exactly_one_row(self, settings_for):
        app = authz_billing.make_app(settings_for)
        assert coverage_problems(app, authz_billing.CALLS, authz_billing.EXTRA_CALLS) == []

    async def test_every_route_answers_every_principal_as_its_rule_says(self, settings_for):
        app = authz_billing.make_app(settings_for)
        async with running_app(app) as client:
            world = await authz_billing.BillingWorld(client, app).setup()
            wrong, made = await run_matrix(client, app.state.settings, world,
                                           authz_billing.CALLS + authz_billing.EXTRA_CALLS)
            forged = await forged_token_answers(client, app, world, authz_billing.CALLS)
        assert_answers(wrong, made, forged)


class TestBooths:
    def test_every_route_has_exactly_one_row(self, settings_for, booths_redis_url):  # noqa: F811
        app = booths_app(settings_for, booths_redis_url)
        assert coverage_problems(app, authz_booths.CALLS, authz_booths.MIXED_CALLS) == []

    async def test_every_route_answers_every_principal_as_its_rule_says(self, settings_for,
                                                                        booths_redis_url):  # noqa: F811
        app = booths_app(settings_for, booths_redis_url)
        async with running_app(app) as client, served(app) as streams:
            world = await authz_booths.BoothsWorld(client, app).setup()
            world.streams = streams
            wrong, made = await run_matrix(client, app.state.settings, world,
                                           authz_booths.CALLS + authz_booths.MIXED_CALLS)
            forged = await forged_token_answers(client, app, world, authz_booths.CALLS)
        assert_answers(wrong, made, forged)


class TestSubscriptions:
    def test_every_route_has_exactly_one_row(self, settings_for):
        app = authz_subscriptions.app_for(settings_for)
        assert coverage_problems(app, authz_subscriptions.CALLS, authz_subscriptions.MIXED_CALLS) == []

    async def test_every_route_answers_every_principal_as_its_rule_says(self, settings_for):
        app = authz_subscriptions.app_for(settings_for)
        async with running_app(app) as client, served(app) as streams:
            world = await authz_subscriptions.SubscriptionsWorld(client, app).setup()
            world.streams = streams
            try:
                wrong, made = await run_matrix(client, app.state.settings, world,
                                               authz_subscriptions.CALLS + authz_subscriptions.MIXED_CALLS)
                forged = await forged_token_answers(client, app, world, authz_subscriptions.CALLS)
            finally:
                world.closed.close()
        assert_answers(wrong, made, forged)


class TestNotifications:
    def test_every_route_has_exactly_one_row(self, settings_for, tmp_path):
        app = authz_notifications.app_for(settings_for, tmp_path)
        assert coverage_problems(app, authz_notifications.CALLS) == []

    async def test_every_route_answers_every_principal_as_its_rule_says(self, settings_for, tmp_path):
        app = authz_notifications.app_for(settings_for, tmp_path)
        async with running_app(app) as client:
            world = await authz_notifications.NotificationsWorld(client, app).setup()
            wrong, made = await run_matrix(client, app.state.settings, world, authz_notifications.CALLS)
            forged = await forged_token_answers(client, app, world, authz_notifications.CALLS)
        assert_answers(wrong, made, forged)


class TestMarkets:
    def test_every_route_has_exactly_one_row(self, settings_for):
        assert coverage_problems(authz_markets.make_app(settings_for), authz_markets.CALLS) == []

    async def test_every_route_answers_every_principal_as_its_rule_says(self, settings_for):
        app = authz_markets.make_app(settings_for)
        async with running_app(app) as client:
            world = await authz_markets.MarketsWorld(client, app).setup()
            wrong, made = await run_matrix(client, app.state.settings, world, authz_markets.CALLS)
            forged = await forged_token_answers(client, app, world, authz_markets.CALLS)
        assert_answers(wrong, made, forged)


class TestPortal:
    """The portal's pages are not in its OpenAPI document: they are read from its routes."""

    def test_every_page_has_exactly_one_row(self, settings_for):
        app = portal_app(settings_for("portal"), transport=authz_portal.NoService())
        assert authz_portal.coverage_problems(app) == []

    async def test_a_visitor_without_a_cookie_is_sent_to_log_in_from_every_page_that_needs_one(self, settings_for):
        services = authz_portal.NoService()
        app = portal_app(settings_for("portal"), transport=services)
        async with running_app(app) as client:
            answers = {(m, p): await client.request(m.upper(), authz_portal.url_of(p),
                                                    data=authz_portal.FORMS.get((m, p)))
                       for m, p in sorted(authz_portal.LOGIN)}
            tokenless = {p: (await client.request(m.upper(), p)).status_code for m, p in authz_portal.TOKEN}
        wrong = {f"{m.upper()} {p}": f"{r.status_code} {r.headers.get('location')}" for (m, p), r in answers.items()
                 if not (r.status_code == 303 and r.headers["location"].startswith("/login"))}
        assert wrong == {}
        assert tokenless == dict.fromkeys(tokenless, 401)
        assert services.asked == []  # nothing was asked of a service without a token

    async def test_a_section_refuses_the_roles_it_is_not_for_before_asking_a_service(self, settings_for):
        settings, services = settings_for("portal"), authz_portal.NoService()
        app = portal_app(settings, transport=services)
        wrong, asked = [], []
        async with running_app(app) as client:
            for method, path in sorted(authz_portal.LOGIN):
                roles = authz_portal.gate_of(method, path)
                for who in (() if roles is None else ("exhibitor_a", "organizer_x", "regional_north", "admin")):
                    before = len(services.asked)
                    res = await client.request(method.upper(), authz_portal.url_of(path), headers=cookie_of(
                        settings, who), data=authz_portal.FORMS.get((method, path)))
                    refused = ROLE[who] not in roles
                    if refused != (res.status_code == 403) or res.status_code == 303:
                        wrong.append(f"{method.upper()} {path} as {who}: {res.status_code}")
                    if refused and len(services.asked) > before:
                        asked.append(f"{method.upper()} {path} as {who} asked {services.asked[before:]}")
        assert (wrong, asked) == ([], [])

    async def test_pages_over_an_object_show_it_only_to_whom_its_service_shows_it(self, settings_for):
        billing = authz_billing.make_app(settings_for)
        registration = registration_app(settings_for("registration"))
        settings = settings_for("portal")
        app = portal_app(settings, transport=authz_portal.Services(settings, {"billing": billing,
                                                                              "registration": registration}))
        async with running_app(billing) as to_billing, running_app(registration) as to_registration:
            invoices = await authz_billing.BillingWorld(to_billing, billing).setup()
            registrations = await authz_registration.RegistrationWorld(
                to_registration, registration.state.settings).setup()
            world = World()
            world.objects = {side: {**invoices.objects[side], **registrations.objects[side]} for side in "xy"}
            async with running_app(app) as client:
                wrong, made = await run_matrix(client, settings, world, authz_portal.OBJECT_PAGES, auth=cookie_of)
        assert not wrong, f"{len(wrong)} of {made} answers differ:\n" + "\n".join(map(str, wrong))


class TestTheMatrixItself:
    """The runner finds what it is for: a route without a row, a row without a route, a tenant check missing, a
    list showing another tenant's object."""

    @staticmethod
    def leaky_app(settings_for) -> FastAPI:
        app = FastAPI()
        app.state.settings = settings_for("registration")
        install_problem_handlers(app)

        @app.get("/things/{thing_id}")
        async def read_thing(thing_id: str, principal: CurrentPrincipal) -> dict[str, str]:
            return {"id": thing_id}  # no tenant check: any token reads any thing

        @app.get("/things")
        async def read_things(principal: CurrentPrincipal) -> list[str]:
            return ["thing-x", "thing-y"]  # every tenant's things to everyone

        return app

    def test_a_route_without_a_row_and_a_row_without_a_route_are_named(self, settings_for):
        calls = [Call("GET", "/things/{thing_id}", may("organizer")), Call("GET", "/gone", may("organizer"))]
        assert coverage_problems(self.leaky_app(settings_for), calls) == ["no entry: GET /things",
                                                                          "no such route: GET /gone"]

    async def test_a_missing_tenant_check_and_a_leaking_list_are_reported(self, settings_for):
        app = self.leaky_app(settings_for)
        world = World()
        world.objects = {"x": {"thing_id": "thing-x"}, "y": {"thing_id": "thing-y"}}
        calls = [Call("GET", "/things/{thing_id}", may("organizer")),
                 Call("GET", "/things", may("organizer"), hides="thing_id")]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            wrong, made = await run_matrix(client, app.state.settings, world, calls, principals=(
                "anonymous", "organizer_x", "organizer_y", "exhibitor_a"))
        assert made == 4 * 2 + 4
        found = sorted((w.call.path, w.principal, w.side, w.got, w.leaked) for w in wrong)
        assert found == [
            ("/things", "exhibitor_a", "x", 200, ""),  # a role the rule does not admit
            ("/things", "exhibitor_a", "x", 200, "thing_id"),  # and the list shows y's thing
            ("/things", "organizer_x", "x", 200, "thing_id"),
            ("/things", "organizer_y", "y", 200, "thing_id"),
            ("/things/{thing_id}", "exhibitor_a", "x", 200, ""),
            ("/things/{thing_id}", "exhibitor_a", "y", 200, ""),
            ("/things/{thing_id}", "organizer_x", "y", 200, ""),  # another tenant's object
            ("/things/{thing_id}", "organizer_y", "x", 200, ""),
        ]
