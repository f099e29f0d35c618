"""Loopback webhooks are for development and tests: production refuses `WEBHOOK_ALLOW_LOOPBACK=true` at start-up,
and `make run` (`hangviet up`) turns it on only outside production."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from devstack import cli
from services.subscriptions.app import create_app
from services.subscriptions.settings import SubscriptionsSettings
from shared.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {"HANGVIET_ENV": "production", "JWT_SECRET": "a-production-secret-0123456789abcdef"}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch):
    def set_to(values: dict[str, str]) -> None:
        for name in ("HANGVIET_ENV", "JWT_SECRET", "WEBHOOK_ALLOW_LOOPBACK"):
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
    return set_to


class TestProductionSettings:
    def test_refuse_loopback_webhooks_naming_the_variable(self, environment):
        environment({**PRODUCTION, "WEBHOOK_ALLOW_LOOPBACK": "true"})
        with pytest.raises(ValidationError, match="WEBHOOK_ALLOW_LOOPBACK=true is refused in production"):
            SubscriptionsSettings()

    def test_refuse_loopback_webhooks_when_the_kernel_settings_say_production(self, environment):
        environment({})
        production = load_settings("subscriptions", env="production", jwt_secret=PRODUCTION["JWT_SECRET"])
        with pytest.raises(ValueError, match="WEBHOOK_ALLOW_LOOPBACK=true is refused in production"):
            create_app(production, subscriptions=SubscriptionsSettings(webhook_allow_loopback=True))

    @pytest.mark.parametrize(("env", "allow"), [(PRODUCTION, "false"), ({"HANGVIET_ENV": "development"}, "true"),
                                                ({"HANGVIET_ENV": "test"}, "true")])
    def test_accept_loopback_off_in_production_and_on_elsewhere(self, environment, env, allow):
        environment({**env, "WEBHOOK_ALLOW_LOOPBACK": allow})
        assert SubscriptionsSettings().webhook_allow_loopback is (allow == "true")

    def test_the_subscriptions_process_stops_at_start_up_with_the_reason(self, tmp_path):
        env = {**os.environ, **PRODUCTION, "WEBHOOK_ALLOW_LOOPBACK": "true", "HANGVIET_VAR_DIR": str(tmp_path),
               "SUBSCRIPTIONS_PORT": "1"}  # never bound: it must stop before
        done = subprocess.run([sys.executable, "-m", "services.subscriptions"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode != 0
        assert "WEBHOOK_ALLOW_LOOPBACK=true is refused in production" in done.stderr


class TestMakeRun:
    @pytest.mark.parametrize(("environ", "added"), [
        ({}, {"WEBHOOK_ALLOW_LOOPBACK": "true"}),
        ({"HANGVIET_ENV": "development"}, {"WEBHOOK_ALLOW_LOOPBACK": "true"}),
        ({"HANGVIET_ENV": "production"}, {}),
    ])
    def test_forces_loopback_webhooks_on_only_outside_production(self, environ, added):
        assert cli.development_env(environ) == added

    async def test_up_in_production_with_loopback_refuses_before_starting_anything(self, environment, tmp_path,
                                                                                      capsys):
        environment({**PRODUCTION, "WEBHOOK_ALLOW_LOOPBACK": "true"})
        code = await cli._up(argparse.Namespace(var_dir=str(tmp_path), no_seed=True))
        assert code == 2
        assert "WEBHOOK_ALLOW_LOOPBACK=true is refused in production" in capsys.readouterr().out
        assert list(tmp_path.iterdir()) == []
