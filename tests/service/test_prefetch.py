"""shared/prefetch.py: what a batch read by key answers later look-ups, "known absent" included; a key nobody
read goes to the database; a row created in the batch and remembered is found."""

from __future__ import annotations

import pytest
from sqlmodel import Field, SQLModel

from shared import prefetch
from shared.db import Database
from tests.service.batches import selects_of


class Shelf(SQLModel, table=True):
    __tablename__ = "test_prefetch_shelves"
    code: str = Field(primary_key=True)
    goods: str = ""


@pytest.fixture
async def db(database_url):
    database = Database(database_url)
    await database.create_tables([Shelf])
    async with database.transaction() as session:
        session.add_all([Shelf(code="A1", goods="chè"), Shelf(code="A2", goods="mật ong")])
    yield database
    await database.dispose()


async def test_a_loaded_key_is_answered_without_a_query_and_an_unloaded_one_is_read(db):
    async with db.transaction() as session:
        with selects_of(db.engine, "test_prefetch_shelves") as reads:
            held = await prefetch.load(session, Shelf, ["A1", "B9", ""])
            assert [s.code for s in held] == ["A1"] and len(reads) == 1
            found = await prefetch.get(session, Shelf, "A1")
            absent = await prefetch.get(session, Shelf, "B9")
            assert found is held[0] and absent is None and len(reads) == 1  # both from the load
            other = await prefetch.get(session, Shelf, "A2")  # nobody loaded it: the database answers
            assert other is not None and other.goods == "mật ong" and len(reads) == 2


async def test_a_row_created_in_the_batch_and_remembered_is_found_not_created_again(db):
    async with db.transaction() as session:
        await prefetch.load(session, Shelf, ["B9"])
        new = Shelf(code="B9", goods="gạo")
        session.add(new)
        prefetch.remember(session, new)
        assert await prefetch.get(session, Shelf, "B9") is new
    async with db.transaction() as session:  # another transaction: another session, nothing remembered
        again = await prefetch.get(session, Shelf, "B9")
        assert again is not None and again.goods == "gạo"
