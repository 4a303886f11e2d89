"""Admins' pages: people with their last activity, changing a role and removing someone by
the bot's own rules (the person is told), and invites created, listed and revoked."""

from __future__ import annotations

import html
import re

import pytest

from tests.web_harness import ADA, ANN, LI, web_site

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found[1]


async def test_people_are_listed_for_admins_only_with_their_last_activity(tmp_path):
    async with web_site(tmp_path) as site:
        await site.core.services.records.log_question(
            user_id=ANN, chat_id=ANN, question="q", lang="en", answer="a", abstained=False,
            citations=[],
        )  # fmt: skip
        await site.sign_in(LI)
        refused = await site.client.get("/users")
        assert refused.status == 403 and "只对管理员开放" in await refused.text()
        site.forget_cookies()
        await site.sign_in(ADA)
        page = await (await site.client.get("/users")).text()
        row = re.search(r'<tr id="u1">(.*?)</tr>', page, re.S)[1]
        assert (
            "Ann" in row and "trainee" in row and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", row)
        )
        lis = re.search(r'<tr id="u2">(.*?)</tr>', page, re.S)[1]
        assert "—</td>" in lis  # no activity yet
        assert 'action="/users/3/role"' not in page  # no changing yourself


async def test_an_admin_changes_a_role_and_removes_a_person_by_the_bots_rules(tmp_path):
    async with web_site(tmp_path) as site:
        told = []

        async def push(user_id, items):
            told.extend([(user_id, item.text) async for item in items])

        site.core.services.push = push
        await site.sign_in(ADA)
        csrf = _csrf(await (await site.client.get("/users")).text())
        page = await site.client.post("/users/1/role", data={"csrf": csrf, "role": "instructor"})
        assert "Ann (1) is now instructor" in await page.text()
        assert (await site.core.services.records.user(ANN)).role == "instructor"
        assert told and told[0][0] == ANN and "instructor" in told[0][1]
        yourself = await site.client.post("/users/3/role", data={"csrf": csrf, "role": "trainee"})
        assert "can't change yourself" in html.unescape(await yourself.text())

        confirm = await (await site.client.get("/users/2/remove")).text()
        assert "Remove 李老师 (2)" in confirm
        done = await site.client.post("/users/2/remove", data={"csrf": _csrf(confirm)})
        assert "Removed 李老师 (2)" in await done.text()
        assert await site.core.services.records.user(LI) is None


async def test_an_admin_creates_lists_and_revokes_an_invite(tmp_path):
    async with web_site(tmp_path) as site:
        await site.sign_in(ADA)
        csrf = _csrf(await (await site.client.get("/invites")).text())
        form = {"csrf": csrf, "role": "trainee", "cohort": "2026春", "category": "research",
                "uses": "25", "days": ""}  # fmt: skip
        page = await (await site.client.post("/invites", data=form)).text()
        code = re.search(r"/start (\S+)", page)[1]
        assert "Up to 25 uses" in page and f"<code>{code}</code>" in page
        [invite] = await site.core.services.records.invites()
        assert (invite.cohort, invite.category, invite.max_uses) == ("2026春", "research", 25)
        page = await (await site.client.post(f"/invites/{code}/revoke", data={"csrf": csrf})).text()
        assert f"Invite {code} is revoked" in page and "No active invites." in page
