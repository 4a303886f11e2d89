"""Signing in with the Telegram Login Widget: data signed as Telegram signs it (the hash
computed here with a test token) opens a session for staff, anything else is refused and
throttled, and the widget and its Content-Security-Policy appear only when configured and
only on the sign-in page."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

import pytest

from bot.bootstrap import StartupError
from bot.channels.web.base import WebOptions
from bot.channels.web.serve import options
from bot.channels.web.widget import login_key
from tests.conftest import settings_for
from tests.web_harness import ADA, ANN, LI, URL, web_site

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOKEN = "123456:TEST-token-for-the-login-widget"
LI_TG, ANN_TG, ADA_TG, STRANGER_TG = 7001, 7002, 7003, 7999  # Telegram ids, not our user ids
WIDGET = WebOptions(URL, widget_key=login_key(TOKEN))


def signed(telegram_id: int, token: str = TOKEN, age: float = 5, **extra: str) -> dict[str, str]:
    """What the widget sends: the fields and Telegram's hash of them, computed as documented."""
    fields = {"id": str(telegram_id), "first_name": "Li", "username": "li_teacher",
              "auth_date": str(int(time.time() - age)), **extra}  # fmt: skip
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hashlib.sha256(token.encode()).digest()
    return {**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()}


def url(fields: dict[str, str]) -> str:
    return f"/signin/telegram?{urlencode(fields)}"


async def linked(site) -> None:
    records = site.core.services.records
    for user_id, telegram in ((LI, LI_TG), (ANN, ANN_TG), (ADA, ADA_TG)):
        assert await records.link_identity(user_id, "telegram", str(telegram))
    site.core.services.bot_username = "tutor_test_bot"


async def test_signed_data_for_an_instructor_opens_a_session_as_a_link_does(tmp_path):
    https = WebOptions("https://console.example.org", widget_key=login_key(TOKEN))
    async with web_site(tmp_path, options=https) as site:
        await linked(site)
        done = await site.client.get(url(signed(LI_TG)), allow_redirects=False)
        assert done.status == 303 and done.headers["Location"] == "/materials"
        cookie = done.cookies["stdtutor_session"]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["secure"]
        back = {"stdtutor_session": cookie.value}  # a browser sends it back under https
        page = await site.client.get("/materials", cookies=back)
        assert page.status == 200 and "资料库" in await page.text()  # 李老师 reads Chinese
        assert "李老师" in await page.text()


async def test_an_admin_signs_in_and_reaches_the_materials(tmp_path):
    async with web_site(tmp_path, options=WIDGET) as site:
        await linked(site)
        page = await site.client.get(url(signed(ADA_TG)))
        assert page.status == 200 and page.url.path == "/materials"
        assert "Ada" in await page.text()


async def test_a_wrong_hash_a_changed_field_or_another_token_is_refused(tmp_path):
    async with web_site(tmp_path, options=WIDGET) as site:
        await linked(site)
        good = signed(LI_TG)
        wrong = {**good, "hash": "0" * 64}
        changed = {**good, "id": str(ADA_TG)}  # someone else's id under Li's signature
        added = {**good, "last_name": "Wang"}  # a field the signature does not cover
        dropped = {k: v for k, v in good.items() if k != "username"}
        other_bot = signed(LI_TG, token="654321:another-bot")
        no_hash = {k: v for k, v in good.items() if k != "hash"}
        odd = {**good, "hash": "签名"}
        cases = (wrong, changed, added, dropped, other_bot, no_hash, odd)
        for n, fields in enumerate(cases):  # each from its own address: none is throttled
            client = {"X-Forwarded-For": f"203.0.113.{n}"}
            refused = await site.client.get(url(fields), headers=client, allow_redirects=False)
            assert refused.status == 400, fields
            assert "无法确认" in await refused.text()
            assert "stdtutor_session" not in refused.cookies
        assert (await site.client.get("/materials", allow_redirects=False)).status == 303


async def test_stale_or_future_data_is_refused(tmp_path):
    async with web_site(tmp_path, options=WIDGET) as site:
        await linked(site)
        stale = await site.client.get(url(signed(LI_TG, age=24 * 3600 + 60)))
        assert stale.status == 410 and "已过期" in await stale.text()
        future = await site.client.get(url(signed(LI_TG, age=-3600)))
        assert future.status == 400
        fresh = await site.client.get(url(signed(LI_TG, age=23 * 3600)), allow_redirects=False)
        assert fresh.status == 303  # within the day it is good


async def test_a_trainee_or_a_stranger_gets_the_plain_refusal_in_their_language(tmp_path):
    async with web_site(tmp_path, options=WIDGET) as site:
        await linked(site)
        trainee = await site.client.get(url(signed(ANN_TG)), allow_redirects=False)
        assert trainee.status == 403 and "stdtutor_session" not in trainee.cookies
        assert "for instructors and admins only" in await trainee.text()  # Ann reads English
        headers = {"Accept-Language": "zh-CN"}
        stranger = await site.client.get(url(signed(STRANGER_TG)), headers=headers)
        assert stranger.status == 403 and "只对讲师和管理员开放" in await stranger.text()
        assert (await site.client.get("/materials", allow_redirects=False)).status == 303


async def test_bad_widget_data_counts_toward_the_sign_in_throttle(tmp_path):
    async with web_site(tmp_path, options=WIDGET) as site:
        await linked(site)
        here, elsewhere = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.2"}
        await site.client.get("/signin?token=guess", headers=here)  # a bad link counts too
        for n in range(4):
            bad = await site.client.get(url({**signed(LI_TG), "hash": f"{n:064}"}), headers=here)
            assert bad.status == 400
        waited = await site.client.get(url(signed(LI_TG)), headers=here, allow_redirects=False)
        assert waited.status == 429 and "分钟后再试" in await waited.text()
        link = await site.client.get("/signin?token=whatever", headers=here)
        assert link.status == 429  # the link flow waits as well
        ok = await site.client.get(url(signed(LI_TG)), headers=elsewhere, allow_redirects=False)
        assert ok.status == 303


async def test_the_widget_and_its_policy_appear_only_when_configured_on_the_sign_in_page(
    tmp_path,
):
    async with web_site(tmp_path / "off") as site:
        site.core.services.bot_username = "tutor_test_bot"
        page = await site.client.get("/signin")
        assert "telegram-widget.js" not in await page.text()
        assert "telegram.org" not in page.headers["Content-Security-Policy"]
        assert (await site.client.get(url(signed(LI_TG)))).status == 404
        unsigned = await site.client.get("/materials", allow_redirects=False)
        assert unsigned.status == 401  # no redirect to a page without a widget

    async with web_site(tmp_path / "on", options=WIDGET) as site:
        await linked(site)
        unsigned = await site.client.get("/materials", allow_redirects=False)
        assert unsigned.status == 303 and unsigned.headers["Location"] == "/signin"
        page = await site.client.get("/signin", headers={"Accept-Language": "en"})
        html = await page.text()
        assert page.status == 200 and 'src="https://telegram.org/js/telegram-widget.js' in html
        assert 'data-telegram-login="tutor_test_bot"' in html
        assert f'data-auth-url="{URL}/signin/telegram"' in html
        assert "/console" in html  # the link way is named beside it
        policy = page.headers["Content-Security-Policy"]
        assert "script-src 'self' https://telegram.org" in policy
        assert "frame-src https://oauth.telegram.org" in policy
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
        for other in ("/signin?token=guess", "/materials", "/signin/telegram?id=1"):
            elsewhere = await site.client.get(other, allow_redirects=False)
            assert "telegram.org" not in elsewhere.headers["Content-Security-Policy"], other
            assert "telegram-widget.js" not in await elsewhere.text()

        site.core.services.bot_username = ""  # Telegram has not told us the bot's name yet
        page = await site.client.get("/signin")
        assert page.status == 200 and "telegram-widget.js" not in await page.text()


async def test_the_setting_turns_the_widget_on_and_keeps_only_the_key(tmp_path):
    off = options(settings_for(tmp_path, web_port=8080, telegram_bot_token=None))
    assert off.widget_key is None
    on = options(settings_for(tmp_path, web_port=8080, web_login_widget=True,
                              telegram_bot_token=TOKEN))  # fmt: skip
    assert on.widget_key == login_key(TOKEN) and TOKEN not in repr(on)
    with pytest.raises(StartupError, match="TELEGRAM_BOT_TOKEN") as refused:
        options(settings_for(tmp_path, web_port=8080, web_login_widget=True,
                             telegram_bot_token=None))  # fmt: skip
    assert TOKEN not in str(refused.value)
