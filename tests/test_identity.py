"""One identity across channels: users have ids of our own, and each channel's id of a person
(their Telegram id today) is an identity linked to their user. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from bot.texts import say
from knowledge.records import Records
from knowledge.records.engine import MIGRATIONS
from knowledge.records.tables import IdentityRow, QuestionRow, UserRow
from tests.conftest import upgrade_to
from tests.postgres import RecordsDB
from tests.telegram_harness import ADMIN, ANN, BOB, INSTRUCTOR, button_data, running_bot, until
from tests.test_records import HEAD

pytestmark = pytest.mark.asyncio(loop_scope="session")
TELEGRAM = "telegram"
QUESTION = "联盟有哪六类人才？"
OFF_TOPIC = "我是王芳，明天苏州的天气怎么样？"
ANNS_ID = BOB  # Ann's user id is Bob's Telegram id: a reply sent by id alone reaches Bob


async def identities_of(store: Records, user_id: int) -> int:
    async with store.engine.connect() as conn:
        query = select(func.count()).select_from(IdentityRow).where(IdentityRow.user_id == user_id)
        return (await conn.execute(query)).scalar_one()


async def test_the_migration_keeps_every_user_and_links_their_telegram_identity(
    records_db: RecordsDB,
):
    before = ScriptDirectory(str(MIGRATIONS)).get_revision("0009").down_revision
    assert before == "0008"  # the schema before identities (0010 came after them)
    engine = records_db.engine()
    people = {7: "Lin", ANN: "Ann", 5_123_456_789: "Zhou"}  # Telegram ids past 32 bits too
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to(before))
            for uid, name in people.items():
                await conn.execute(
                    text(
                        "INSERT INTO users (id, name, role, cohort) "
                        "VALUES (:id, :n, 'trainee', 'c')"
                    ),
                    {"id": uid, "n": name},
                )
            await conn.execute(
                text("INSERT INTO users (id, name, role) VALUES (0, 'console', 'admin')")
            )
            await conn.execute(
                text(
                    "INSERT INTO questions (user_id, chat_id, question, lang, answer, abstained, "
                    "citations) VALUES (:u, :u, 'q', 'zh', 'a', false, '[]')"
                ),
                {"u": ANN},
            )
    finally:
        await engine.dispose()
    store = await records_db.open()
    try:
        async with store.engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
            asked = (await conn.execute(select(QuestionRow.user_id))).scalars().all()
        assert version == [(HEAD,)]
        assert {u.id: u.name for u in await store.users()} == people | {0: "console"}
        assert all(u.cohort == "c" for u in await store.users() if u.id)
        assert asked == [ANN]  # their records are where they were
        for uid in people:
            assert await store.user_of(TELEGRAM, str(uid)) == uid
            assert await store.external_id(uid, TELEGRAM) == str(uid)
            assert await store.identities(uid) == [(TELEGRAM, str(uid))]
        assert await store.identities(0) == []  # the console's owner is no Telegram user
    finally:
        await store.close()


async def test_a_newcomer_gets_their_telegram_id_when_it_is_free_else_the_next(records: Records):
    ann = await records.ensure_identified((TELEGRAM, str(ANN)), name="Ann", role="trainee")
    assert ann.id == ANN and await records.user_of(TELEGRAM, str(ANN)) == ANN
    await records.ensure_user(9_999, name="console-made", role="trainee")  # takes Bob's id...
    await records.ensure_user(BOB, name="someone", role="trainee")
    bob = await records.ensure_identified((TELEGRAM, str(BOB)), name="Bob", role="trainee")
    assert bob.id == 10_000 and bob.name == "Bob"  # ... so Bob gets the next free one
    assert await records.external_id(bob.id, TELEGRAM) == str(BOB)
    assert await records.external_id(BOB, TELEGRAM) is None
    again = await records.ensure_identified((TELEGRAM, str(BOB)), name="Bob", role="instructor")
    assert (again.id, again.role) == (bob.id, "instructor")  # the same person, raised in role


async def test_one_newcomer_enrolling_twenty_times_at_once_is_one_user(records: Records):
    who = (TELEGRAM, "4242")
    made = await asyncio.gather(
        *[records.ensure_identified(who, name="Gu", role="trainee") for _ in range(20)]
    )
    assert {u.id for u in made} == {4242}
    async with records.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(UserRow))).scalar_one() == 1


async def test_an_invite_enrols_a_newcomer_with_their_identity(records: Records):
    from tests.test_records import invite

    await records.ensure_user(ANN, name="taken", role="trainee")
    code = (await invite(records)).code
    user = await records.redeem(code, identity=(TELEGRAM, str(ANN)), name="Ann", lang="zh")
    assert user.id != ANN and (user.name, user.category) == ("Ann", "research")
    assert await records.user_of(TELEGRAM, str(ANN)) == user.id
    again = await records.redeem(code, identity=(TELEGRAM, str(ANN)), name="Ann", lang="zh")
    assert again == user  # already enrolled by this code: nothing taken
    with pytest.raises(TypeError):
        await records.redeem(code, name="nobody", lang=None)


async def test_forgetting_someone_removes_their_identities(records: Records):
    user = await records.ensure_identified((TELEGRAM, str(ANN)), name="Ann", role="trainee")
    assert await records.link_identity(user.id, "web", "ann@example.org")
    assert not await records.link_identity(12345, "web", "nobody")
    assert await records.user_of("web", "ann@example.org") == user.id
    assert await records.forget(user.id)
    assert await identities_of(records, user.id) == 0
    assert await records.user_of(TELEGRAM, str(ANN)) is None  # nothing kept in memory either
    assert await records.user_of("web", "ann@example.org") is None


async def _ann_by_another_id(records: Records) -> None:
    """Ann, a trainee whose user id (7002) is not her Telegram id (7001), linked by hand."""
    await records.ensure_user(ANNS_ID, name="Ann", role="trainee", lang="zh")
    await records.update_user(ANNS_ID, category="research")
    assert await records.link_identity(ANNS_ID, TELEGRAM, str(ANN))


async def test_someone_whose_user_id_is_not_their_telegram_id_is_served_in_their_chat(
    pack_app, records_db: RecordsDB
):
    async with running_bot(pack_app, records_db.url, schema=records_db.schema) as bot:
        records, api = bot.core.services.records, bot.api
        await bot.enrol(INSTRUCTOR, "instructor")
        await _ann_by_another_id(records)

        [answer] = await bot.say(ANN, QUESTION)
        assert "研究型" in answer["plain_text"] and "[1]" in answer["plain_text"]
        qid = int(button_data(answer)[0].split(":")[1])
        assert (await records.question(qid)).user_id == ANNS_ID
        [sources] = await bot.press(ANN, answer, f"src:{qid}")
        assert "联盟聚焦六类人才" in sources["plain_text"]
        assert await records.user(ANN) is None  # no user was made of her Telegram id

        await bot.say(ANN, OFF_TOPIC)  # refused: it goes to the instructors' queue
        [item] = await bot.say(INSTRUCTOR, "/feedback")
        await bot.press(INSTRUCTOR, item, button_data(item)[0])
        before = len(api.sent(ANN))
        await bot.say(INSTRUCTOR, "请查看天气预报，课程资料不涉及天气。")
        await until(lambda: len(api.sent(ANN)) > before)
        told = api.sent(ANN)[-1]["text"]
        assert "请查看天气预报" in told and OFF_TOPIC in told
        assert api.sent(BOB) == []  # nothing went to the chat her user id names

        # Bob, a newcomer whose Telegram id is Ann's user id, gets a user id of his own
        [link] = await bot.say(ADMIN, "/invite trainee 2026X research")
        code = re.search(r"start=([\w-]+)", link["text"]).group(1)
        await bot.say(BOB, f"/start {code}")
        bob = await records.user_of(TELEGRAM, str(BOB))
        assert bob is not None and bob not in (BOB, ANN, ANNS_ID)
        assert (await records.user(bob)).cohort == "2026X"
        assert (await records.user(ANNS_ID)).name == "Ann"  # Ann is untouched
        [his] = await bot.say(BOB, QUESTION)
        assert "研究型" in his["plain_text"]
        assert all(m["text"] != his["text"] for m in api.sent(ANN)[-1:])

        # a quiz poll is hers: its answer is recorded under her user id
        bobs = len(api.sent(BOB))
        await bot.say(ANN, "/quiz 1")
        [poll] = [c.result for c in api.calls if c.method == "sendPoll" and c.ok]
        assert poll["chat"]["id"] == ANN
        before = len(api.sent(ANN))
        api.poll_answer(ANN, poll["poll"]["id"], [0])
        await until(lambda: len(api.sent(ANN)) > before)  # the verdict, in her chat
        await api.wait_idle(quiet=0.4)
        assert len(await records.attempts_of(ANNS_ID)) == 1
        assert len(api.sent(BOB)) == bobs

        # her /forget_me takes her identity with her: she is a stranger again
        [confirm] = await bot.say(ANN, "/forget_me")
        await bot.press(ANN, confirm, "forget:yes")
        assert await records.user(ANNS_ID) is None
        assert await identities_of(records, ANNS_ID) == 0
        assert await records.user_of(TELEGRAM, str(ANN)) is None
        [stranger] = await bot.say(ANN, QUESTION)
        assert "邀请" in stranger["text"]

        # an admin removing Bob tells him in his chat, and nothing of his remains
        before = len(api.sent(BOB))
        [confirm] = await bot.say(ADMIN, f"/remove {bob}")
        await bot.press(ADMIN, confirm, f"urm:{bob}")
        await until(lambda: len(api.sent(BOB)) > before)
        assert await records.user(bob) is None and await identities_of(records, bob) == 0
        assert await records.user_of(TELEGRAM, str(BOB)) is None


async def test_admin_ids_are_telegram_ids_matched_through_identities(pack_app, records_url):
    async with running_bot(pack_app, records_url) as bot:
        records = bot.core.services.records
        # the admin of ADMIN_IDS came before, and their user id is not their Telegram id
        await records.ensure_user(5, name="Boss", role="admin", lang="en")
        assert await records.link_identity(5, TELEGRAM, str(ADMIN))
        await bot.enrol(INSTRUCTOR, "admin")
        [users] = await bot.say(ADMIN, "/users")
        assert "Boss" in users["text"] and await records.user(ADMIN) is None
        [refused] = await bot.say(INSTRUCTOR, "/remove 5")  # another admin can't remove them
        assert refused["text"] == say("not_yourself", "zh")
        assert await records.user(5) is not None
