"""The web console's access rules, as a person meets them: one-time links, staff only, roles
read on every request, CSRF tokens on forms, and throttled sign-in attempts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import make_mocked_request

from bot.channels.web.app import AccessLog
from knowledge.records import SigninError
from tests.web_harness import ADA, ANN, LI, URL, field, token_of, web_site

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_console_link_signs_staff_in_once(tmp_path):
    async with web_site(tmp_path) as site:
        link = await site.link(LI)
        assert link.count(f"{URL}/signin?token=") == 1 and "10" in link
        token = token_of(link)
        shown = await site.client.get(f"/signin?token={token}")
        assert "李老师" in await shown.text()  # showing the link uses nothing up
        form = {"token": token, "csrf": field(await shown.text(), "csrf")}
        done = await site.client.post("/signin", data=form, allow_redirects=False)
        assert done.status == 303 and done.headers["Location"] == "/materials"
        page = await site.client.get("/materials")
        assert page.status == 200 and "资料库" in await page.text()  # in the user's language

        site.forget_cookies()
        again = await site.client.get(f"/signin?token={token}")
        assert again.status == 410 and "已经用过" in await again.text()
        assert (await site.client.get("/materials")).status == 401


async def test_the_session_cookie_is_http_only_lax_and_secure_under_https(tmp_path):
    async with web_site(tmp_path, url="https://console.example.org") as site:
        token = token_of(await site.link(ADA))
        shown = await site.client.get(f"/signin?token={token}")
        assert shown.cookies["stdtutor_signin"]["secure"]
        form = {"token": token, "csrf": field(await shown.text(), "csrf")}
        back = {"stdtutor_signin": shown.cookies["stdtutor_signin"].value}  # a browser would
        done = await site.client.post("/signin", data=form, cookies=back, allow_redirects=False)
        assert done.status == 303
        cookie = done.cookies["stdtutor_session"]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["secure"]
        stored = await site.core.services.records.engine.connect()
        try:  # only a hash of the session's token is kept
            rows = (await stored.exec_driver_sql("SELECT token_hash FROM web_sessions")).all()
        finally:
            await stored.close()
        assert rows and cookie.value not in {r[0] for r in rows}


async def test_an_expired_or_unknown_link_is_refused_plainly(tmp_path):
    async with web_site(tmp_path) as site:
        past = datetime.now(UTC) - timedelta(minutes=1)
        token = await site.core.services.records.create_signin(LI, past)
        expired = await site.client.get(f"/signin?token={token}")
        assert expired.status == 410 and "已过期" in await expired.text()
        unknown = await site.client.get("/signin?token=made-up", headers={"Accept-Language": "en"})
        assert unknown.status == 400 and "not valid" in await unknown.text()


async def test_a_trainee_gets_no_console(tmp_path):
    async with web_site(tmp_path) as site:
        refused = await site.link(ANN)
        assert "signin" not in refused and "instructor" in refused
        until = datetime.now(UTC) + timedelta(hours=1)  # even with a session made by hand
        session = await site.core.services.records.open_web_session(ANN, until)
        page = await site.client.get("/materials", cookies={"stdtutor_session": session})
        assert page.status == 403 and "for instructors and admins" in await page.text()


async def test_a_demoted_instructor_is_refused_on_the_next_request(tmp_path):
    async with web_site(tmp_path) as site:
        await site.sign_in(LI)
        assert (await site.client.get("/feedback")).status == 200
        await site.core.services.records.update_user(LI, role="trainee")
        page = await site.client.get("/feedback")
        assert page.status == 403 and "只对讲师和管理员开放" in await page.text()
        await site.core.services.records.forget(LI)  # removed: the session goes with them
        assert (await site.client.get("/feedback")).status == 401


async def test_a_post_without_the_csrf_token_is_refused(tmp_path):
    async with web_site(tmp_path) as site:
        qid = await site.core.services.records.log_question(
            user_id=ANN, chat_id=ANN, question="Who signs the lab log?", lang="en",
            answer="-", abstained=True, citations=[],
        )  # fmt: skip
        await site.sign_in(LI)
        for form in ({}, {"csrf": "forged"}):
            refused = await site.client.post(f"/feedback/{qid}/dismiss", data=form)
            assert refused.status == 403 and "表单已过期" in await refused.text()
        files = FormData()
        files.add_field("files", b"# T\n\nx\n", filename="t.md")
        upload = await site.client.post("/materials", data=files)
        assert upload.status == 403 and not site.core.services.ingestor.store.documents()
        assert [q.id for q in await site.core.services.records.open_feedback()] == [qid]
        form = {"csrf": await site.csrf()}
        assert (await site.client.post(f"/feedback/{qid}/dismiss", data=form)).status == 200
        assert await site.core.services.records.open_feedback() == []


async def test_sign_in_is_throttled_per_client_after_five_bad_links(tmp_path):
    async with web_site(tmp_path) as site:
        here, elsewhere = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.2"}
        for n in range(5):
            bad = await site.client.get(f"/signin?token=guess{n}", headers=here)
            assert bad.status == 400
        token = token_of(await site.link(LI))
        waited = await site.client.get(f"/signin?token={token}", headers=here)
        assert waited.status == 429 and "分钟后再试" in await waited.text()
        assert (await site.client.get(f"/signin?token={token}", headers=elsewhere)).status == 200


async def test_links_and_sessions_are_kept_as_hashes_and_go_with_their_person(records):
    """On SQLite and PostgreSQL: tokens are never stored, a link works once, and removing a
    person removes their links and sessions."""
    await records.ensure_user(LI, name="Li", role="instructor")
    soon = datetime.now(UTC) + timedelta(minutes=10)
    token = await records.create_signin(LI, soon)
    session = await records.open_web_session(LI, soon)
    async with records.engine.connect() as conn:
        kept = set()
        for table in ("web_signins", "web_sessions"):
            rows = await conn.exec_driver_sql(f"SELECT token_hash FROM {table}")
            kept |= {row[0] for row in rows.all()}
    assert token not in kept and session not in kept and len(kept) == 2
    assert await records.use_signin(token) == LI
    with pytest.raises(SigninError, match="used"):
        await records.use_signin(token)
    assert (await records.web_session_user(session)).id == LI
    await records.forget(LI)
    assert await records.web_session_user(session) is None


async def test_the_access_log_never_shows_a_query_string(caplog):
    log = logging.getLogger("stdtutor.test.access")
    request = make_mocked_request("GET", "/signin?token=secret-token-value")
    with caplog.at_level(logging.INFO, logger=log.name):
        AccessLog(log, "").log(request, web.Response(status=200), 0.01)
    assert "/signin" in caplog.text and "secret-token-value" not in caplog.text
