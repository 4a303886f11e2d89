"""The console's canonical answers: the list of those in force with a search, editing one
(the bot serves the new text on the next question), retiring one (kept in the records, the
question answered from the materials again), and the preview as a trainee reads it."""

from __future__ import annotations

import html
import re
from zoneinfo import ZoneInfo

import pytest

from bot.events import Incoming, Reply
from tests.web_harness import ANN, HANDBOOK, LI, field, web_site

pytestmark = pytest.mark.asyncio(loop_scope="session")
ASKED = "Who calibrates the torque wrench?"


async def _answered(site, tmp_path) -> int:
    """A refused question, answered on the feedback page by 李老师; the canonical answer's id."""
    (tmp_path / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    assert not site.core.services.ingestor.ingest([tmp_path / "handbook.md"]).failed
    qid = await site.core.services.records.log_question(
        user_id=ANN, chat_id=ANN, question=ASKED, lang="en", answer="The materials don't say.",
        abstained=True, citations=[],
    )  # fmt: skip
    await site.sign_in(LI)
    form = {"csrf": await site.csrf("/feedback"), "answer": "The lab manager does."}
    done = await (await site.client.post(f"/feedback/{qid}/answer", data=form)).text()
    [canonical] = await site.core.services.records.canonicals()
    assert f'href="/canonical/{canonical.id}"' in done  # the saved page links to it
    return canonical.id


async def _ask(site, text: str = ASKED) -> Reply:
    event = Incoming(ANN, text, chat_id=ANN)
    replies = [r async for r in site.core.respond(event) if isinstance(r, Reply)]
    return replies[0]


async def test_the_list_shows_an_answer_written_on_the_feedback_page_with_a_search(tmp_path):
    async with web_site(tmp_path) as site:
        cid = await _answered(site, tmp_path)
        assert (await _ask(site)).kind == "canonical"  # served once
        page = html.unescape(await (await site.client.get("/canonical")).text())
        row = re.search(rf'<tr id="canonical-{cid}">(.*?)</tr>', page, re.S)[1]
        cells = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        assert cells[:3] == [ASKED, "The lab manager does.", "李老师"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", cells[3]) and cells[4] == "1"
        assert 'href="/canonical" aria-current="page"' in page  # in the navigation
        found = await (await site.client.get("/canonical?q=torque+WRENCH")).text()
        assert f'id="canonical-{cid}"' in found
        missed = await (await site.client.get("/canonical?q=goggles")).text()
        assert f'id="canonical-{cid}"' not in missed and 'id="message"' in missed


async def test_an_edit_changes_what_the_bot_answers_at_once(tmp_path):
    async with web_site(tmp_path) as site:
        cid = await _answered(site, tmp_path)
        assert (await _ask(site)).text.startswith("The lab manager does.")
        form = {"csrf": await site.csrf(f"/canonical/{cid}"), "question": ASKED,
                "answer": "The lab manager, every 90 days."}  # fmt: skip
        saved = await site.client.post(f"/canonical/{cid}", data=form)
        assert saved.status == 200 and 'id="message"' in await saved.text()
        reply = await _ask(site)
        assert reply.kind == "canonical" and reply.text.startswith("The lab manager, every 90")
        [kept] = await site.core.services.records.canonicals()
        assert (kept.id, kept.answer) == (cid, "The lab manager, every 90 days.")


async def test_retiring_stops_serving_it_and_the_question_goes_back_to_retrieval(tmp_path):
    async with web_site(tmp_path) as site:
        cid = await _answered(site, tmp_path)
        confirm = await (await site.client.get(f"/canonical/{cid}/retire")).text()
        assert 'id="confirm"' in confirm and ASKED in html.unescape(confirm)
        done = await site.client.post(
            f"/canonical/{cid}/retire", data={"csrf": field(confirm, "csrf")}
        )
        assert done.status == 200
        reply = await _ask(site)
        assert reply.kind == "answer" and reply.citations  # from the handbook
        records = site.core.services.records
        assert await records.canonicals() == []
        retired = await records.canonical(cid)
        assert retired is not None and retired.retired_at is not None  # kept, marked retired
        listed = await (await site.client.get("/canonical")).text()
        assert f'id="canonical-{cid}"' not in listed
        assert (await site.client.get(f"/canonical/{cid}")).status == 404


async def test_the_preview_shows_the_answer_with_the_author_line_in_both_languages(tmp_path):
    async with web_site(tmp_path) as site:
        cid = await _answered(site, tmp_path)
        bot = await _ask(site)
        page = html.unescape(await (await site.client.get(f"/canonical/{cid}")).text())
        en = re.search(r'id="preview-en"[^>]*>.*?<pre>(.*?)</pre>', page, re.S)[1]
        zh = re.search(r'id="preview-zh"[^>]*>.*?<pre>(.*?)</pre>', page, re.S)[1]
        assert en == bot.text  # the bot's own words for an English question
        assert "— answered by 李老师 on " in en and "—— 李老师 于 " in zh
        assert zh.startswith("The lab manager does.")


async def test_a_trainee_and_a_post_without_the_csrf_token_are_refused(tmp_path):
    async with web_site(tmp_path) as site:
        cid = await _answered(site, tmp_path)
        form = {"question": ASKED, "answer": "Nobody."}
        assert (await site.client.post(f"/canonical/{cid}", data=form)).status == 403
        assert (await site.client.post(f"/canonical/{cid}/retire", data={})).status == 403
        form["csrf"] = await site.csrf("/canonical")
        await site.core.services.records.update_user(LI, role="trainee")  # a trainee now
        assert (await site.client.get("/canonical")).status == 403
        assert (await site.client.post(f"/canonical/{cid}", data=form)).status == 403
        retire = {"csrf": form["csrf"]}
        assert (await site.client.post(f"/canonical/{cid}/retire", data=retire)).status == 403
        [kept] = await site.core.services.records.canonicals()
        assert kept.answer == "The lab manager does."


async def _edit(site, cid: int, question: str, answer: str) -> str:
    form = {"csrf": await site.csrf(f"/canonical/{cid}"), "question": question, "answer": answer}
    saved = await site.client.post(f"/canonical/{cid}", data=form)
    assert saved.status == 200
    return html.unescape(await saved.text())


def _history(page: str) -> list[tuple[str, str, str]]:
    """The edit page's earlier wordings, as shown: (who and when, question, answer)."""
    found = re.findall(
        r'<section class="feedback revision" id="revision-\d+">\s*<p class="where">(.*?)</p>'
        r"\s*<p><strong>(.*?)</strong></p>\s*<pre>(.*?)</pre>",
        page,
        re.S,
    )
    return [tuple(x.strip() for x in f) for f in found]


async def test_two_edits_show_both_earlier_wordings_newest_first_with_who_replaced_them(
    tmp_path,
):
    async with web_site(tmp_path) as site:
        cid = await _answered(site, tmp_path)
        await _edit(site, cid, ASKED, "The lab manager, every 90 days.")
        page = await _edit(site, cid, "Who calibrates the lab's torque wrench?", "The manager.")
        records, zone = site.core.services.records, site.core.services.policy.timezone
        newest, oldest = await records.canonical_revisions(cid)
        when = [
            r.replaced_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
            for r in (newest, oldest)
        ]
        assert _history(page) == [
            (
                f"{when[0]}（{zone}）被 李老师 修改前的版本",
                ASKED,
                "The lab manager, every 90 days.",
            ),
            (f"{when[1]}（{zone}）被 李老师 修改前的版本", ASKED, "The lab manager does."),
        ]  # on the alliance's clock, in 李老师's Chinese
        await records.update_user(LI, lang="en")
        english = html.unescape(await (await site.client.get(f"/canonical/{cid}")).text())
        assert [who for who, _, _ in _history(english)] == [
            f"Replaced by 李老师 on {when[0]} ({zone})",
            f"Replaced by 李老师 on {when[1]} ({zone})",
        ]


async def test_saving_the_same_wording_adds_nothing_to_the_history(tmp_path):
    async with web_site(tmp_path) as site:
        cid = await _answered(site, tmp_path)
        page = await _edit(site, cid, ASKED, "The lab manager does.")
        assert _history(page) == [] and "还没有修改过。" in page
        assert await site.core.services.records.canonical_revisions(cid) == []
