"""Bearer tokens: every token the platform issues expires, and a token without `exp` — which would be valid for
ever — is refused with a 401 problem, like a forged or expired one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import jwt
import pytest

import shared.auth as auth_module
from shared.auth import ALGORITHM, ISSUER, Role, decode_token, issue_token
from shared.problems import Problem
from tests.conftest import running_app
from tests.service.test_subscriptions import make_app

SECRET = "a-test-secret-long-enough-for-hs256-0123456789"


def claims(**overrides: object) -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    return {"iss": ISSUER, "sub": "rc-north", "role": "regional", "region": "north", "iat": now,
            "exp": now + 600, **overrides}


def without(name: str) -> dict[str, object]:
    values = claims()
    del values[name]
    return values


class TestIssueToken:
    @pytest.mark.parametrize("role", list(Role))
    def test_every_issued_token_carries_an_expiry_after_its_issue_time(self, role):
        decoded = jwt.decode(issue_token(SECRET, role=role, ttl=timedelta(minutes=5)), SECRET,
                             algorithms=[ALGORITHM], issuer=ISSUER)
        assert decoded["exp"] - decoded["iat"] == 300


class TestDecodeToken:
    def test_accepts_a_token_with_an_expiry(self):
        assert decode_token(SECRET, jwt.encode(claims(), SECRET, algorithm=ALGORITHM)).subject == "rc-north"

    @pytest.mark.parametrize("missing", ["exp", "sub", "role"])
    def test_refuses_a_token_missing_a_required_claim(self, missing):
        with pytest.raises(Problem) as refused:
            decode_token(SECRET, jwt.encode(without(missing), SECRET, algorithm=ALGORITHM))
        assert refused.value.status == 401 and missing in str(refused.value.detail)

    def test_refuses_an_expired_token(self):
        stale = claims(exp=int((datetime.now(UTC) - timedelta(minutes=1)).timestamp()))
        with pytest.raises(Problem) as refused:
            decode_token(SECRET, jwt.encode(stale, SECRET, algorithm=ALGORITHM))
        assert refused.value.status == 401

    def test_a_token_accepted_once_is_refused_once_it_expired(self, monkeypatch):
        """Checked tokens are remembered (the signature is not checked again), their expiry is checked each time."""
        token = jwt.encode(claims(exp=int(datetime.now(UTC).timestamp()) + 60), SECRET, algorithm=ALGORITHM)
        assert decode_token(SECRET, token).subject == "rc-north"
        assert decode_token(SECRET, token).subject == "rc-north"
        later = datetime.now(UTC).timestamp() + 61
        monkeypatch.setattr(auth_module, "time", SimpleNamespace(time=lambda: later))
        with pytest.raises(Problem) as refused:
            decode_token(SECRET, token)
        assert refused.value.status == 401 and "expired" in str(refused.value.detail)

    def test_a_remembered_token_is_not_valid_under_another_secret(self):
        token = jwt.encode(claims(), SECRET, algorithm=ALGORITHM)
        assert decode_token(SECRET, token).subject == "rc-north"
        with pytest.raises(Problem) as refused:
            decode_token(SECRET + "-rotated", token)
        assert refused.value.status == 401


class TestOverHttp:
    async def test_a_token_without_exp_gets_a_401_problem_and_the_same_token_with_exp_gets_in(self, settings_for):
        app = make_app(settings_for)
        secret = app.state.settings.jwt_secret
        forever = jwt.encode(without("exp"), secret, algorithm=ALGORITHM)
        expiring = jwt.encode(claims(), secret, algorithm=ALGORITHM)
        async with running_app(app) as client:
            refused = await client.get("/regions", headers={"Authorization": f"Bearer {forever}"})
            by_cookie = await client.get("/regions", headers={"Cookie": f"hangviet_token={forever}"})
            admitted = await client.get("/regions", headers={"Authorization": f"Bearer {expiring}"})
        assert refused.status_code == 401 and by_cookie.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["status"] == 401 and "exp" in refused.json()["detail"]
        assert admitted.status_code == 200
