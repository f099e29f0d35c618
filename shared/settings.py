"""Settings of one service process, read from the environment through pydantic-settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_JWT_SECRET = "hangviet-development-secret-do-not-use-in-production"

# Where a service listens unless `<SERVICE>_PORT` or `PORT` says otherwise (0: a port the system picks, which
# shared/serve.py reports in the file HANGVIET_PORT_FILE names).
DEFAULT_PORT = 8000
# Idle, a consumer off the saga path fetches once a second (saga consumers: every KAFKA_FETCH_IDLE_WAIT_MS, 500):
# each idle fetch costs the embedded broker and the service CPU, and a mail or a webhook a second later is nothing.
OFF_THE_SAGA_PATH_IDLE_WAIT_MS = 1000


class Settings(BaseSettings):
    """What every service reads from its environment; `<SERVICE>_DATABASE_URL` picks its database."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", populate_by_name=True)

    service: str = "hangviet"
    env: Literal["development", "test", "production"] = Field(
        default="development", validation_alias="HANGVIET_ENV"
    )
    var_dir: Path = Field(default=Path("var"), validation_alias="HANGVIET_VAR_DIR")
    host: str = Field(default="127.0.0.1", validation_alias="HANGVIET_HOST")
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)  # the environment's PORT, unless <SERVICE>_PORT is set
    database_url: str = ""
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    redis_url: str = "redis://127.0.0.1:6379/0"
    jwt_secret: str = DEVELOPMENT_JWT_SECRET
    kafka_session_timeout_ms: int = 6000
    kafka_heartbeat_interval_ms: int = 2000
    # While events flow a consumer's fetches wait at most this long. The embedded broker holds every fetch for
    # its whole wait, so this is the latency floor of a hop: at 50 sagas/s on a quiet machine, 10 ms gave
    # approve → invoice p50 58 ms and 5 ms gave 38 ms (bench.saga), for ~0.7 ms more broker CPU per saga.
    kafka_fetch_max_wait_ms: int = 5
    # While a consumer has had nothing to read for 2 s its fetches wait this long (the idle cost of a 10 ms
    # poll is ~7 % of a core per consumer on the embedded broker); the first record brings back the short one.
    kafka_fetch_idle_wait_ms: int = 500
    # Between the two, for this long after those 2 s, its fetches wait KAFKA_FETCH_WARM_WAIT_MS: events come in
    # spells (an organizer approving one registration after another, a phase of the bench after a pause of a few
    # seconds), and the first record of a spell waits out the fetch in flight. At 50/s after a 3 s pause that
    # was the 500 ms idle wait, and the first dozen sagas queued behind it were the phase's p99 (bench.saga
    # --sagas: 128–282 ms, the other 1,488 at p99 68 ms). Warm, two consumers cost ~1 % of a core, so the spell
    # is short: at 10 s the stack's idle cost over the bench's 60 s read 4.4–5.1 %.
    kafka_fetch_warm_wait_ms: int = 100
    kafka_fetch_warm_for_s: float = 5.0
    consumer_max_attempts: int = 5
    consumer_retry_backoff_s: float = 0.25
    consumer_batch_max_records: int = 200
    consumer_batch_timeout_ms: int = 500  # the longest an empty poll waits (records end it at once)
    # Applied offsets are committed at most this often (and when partitions are revoked, and at stop), not after
    # every batch: a commit is a broker round trip before the next fetch. A crash redelivers at most this much,
    # which the inbox absorbs. 0: after every batch.
    consumer_commit_interval_ms: int = 200
    # A parked event (waiting for a prerequisite from another topic) is dead-lettered after this long.
    consumer_park_ttl_s: float = 600.0
    outbox_poll_interval_s: float = 0.5
    # Set by `make run` when it starts a fresh in-memory broker: outbox rows sent within this many seconds
    # before the newest send are published again, once per broker epoch (shared/replay.py); 0 = never.
    outbox_replay_window_s: float = Field(default=0.0, ge=0, validation_alias="HANGVIET_OUTBOX_REPLAY_WINDOW_S")
    broker_epoch: str = Field(default="", max_length=64, validation_alias="HANGVIET_BROKER_EPOCH")

    @model_validator(mode="after")
    def _refuse_development_secret_outside_development(self) -> Settings:
        if self.env == "production" and self.jwt_secret == DEVELOPMENT_JWT_SECRET:
            raise ValueError("JWT_SECRET must be set outside development (the development default is refused)")
        return self

    def off_the_saga_path(self, fetch_wait_ms: int) -> Settings:
        """These settings for a service whose consumer nothing urgent waits on: while events flow its fetches
        wait `fetch_wait_ms`, never less than the platform's `kafka_fetch_max_wait_ms` (a broker that holds every
        fetch for its whole wait, as the embedded one does, is polled that much less); idle, at least
        `OFF_THE_SAGA_PATH_IDLE_WAIT_MS` (the first event after a quiet spell waits that long at most), with no warm
        spell between."""
        wait = max(self.kafka_fetch_max_wait_ms, fetch_wait_ms)
        idle_wait = max(self.kafka_fetch_idle_wait_ms, OFF_THE_SAGA_PATH_IDLE_WAIT_MS, wait)
        warm_wait = idle_wait  # no warm spell: nothing urgent waits on the first event after a pause
        if (wait, idle_wait, warm_wait) == (self.kafka_fetch_max_wait_ms, self.kafka_fetch_idle_wait_ms,
                                            self.kafka_fetch_warm_wait_ms):
            return self
        return self.model_copy(update={"kafka_fetch_max_wait_ms": wait, "kafka_fetch_idle_wait_ms": idle_wait,
                                       "kafka_fetch_warm_wait_ms": warm_wait})

    def resolved_database_url(self) -> str:
        """The database URL: the explicit one, else a SQLite file under var/."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.var_dir / (self.service + '.db')}"


def load_settings(service: str, **overrides: object) -> Settings:
    """Settings for `service`: `<SERVICE>_DATABASE_URL` and `<SERVICE>_PORT` are read per service (else
    `DATABASE_URL` and `PORT`, else the defaults)."""
    import os

    prefix = service.upper()
    values: dict[str, object] = {"service": service}
    if os.environ.get(f"{prefix}_DATABASE_URL"):
        values["database_url"] = os.environ[f"{prefix}_DATABASE_URL"]
    if os.environ.get(f"{prefix}_PORT"):
        values["port"] = int(os.environ[f"{prefix}_PORT"])
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]
