"""The console's materials beyond uploading: restoring a removed document or the version a
replace superseded (confirmed, CSRF-protected, the course pack's by admins only), and an
upload's progress, file by file, for the person who uploaded it and no one else."""

from __future__ import annotations

import asyncio
import html
import re
import threading

import pytest
from aiohttp import FormData

from tests.web_harness import ADA, HANDBOOK, LI, Site, field, web_site

pytestmark = pytest.mark.asyncio(loop_scope="session")
JSON = {"Accept": "application/json"}


def _form(*named: tuple[str, bytes], csrf: str, replace: bool = False) -> FormData:
    form = FormData()
    form.add_field("csrf", csrf)  # first, as the page's form sends it
    if replace:
        form.add_field("replace", "1")
    for name, data in named:
        form.add_field("files", data, filename=name)
    return form


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def _try(site: Site, question: str) -> str:
    return _text(await (await site.client.get("/try", params={"q": question})).text())


async def test_a_removed_document_is_restored_from_the_library_and_answers_again(tmp_path):
    async with web_site(tmp_path) as site:
        ingestor = site.core.services.ingestor
        (tmp_path / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
        assert not ingestor.ingest([tmp_path / "handbook.md"]).failed
        [doc] = ingestor.store.documents()
        await site.sign_in(LI)
        csrf = await site.csrf(f"/materials/{doc.doc_id}/remove")
        await site.client.post(f"/materials/{doc.doc_id}/remove", data={"csrf": csrf})
        assert "90 days" not in await _try(site, "How often is the torque wrench calibrated?")

        library = await (await site.client.get("/materials")).text()
        removed = re.search(r'<table id="removed">.*?</table>', library, re.S)
        assert removed and "handbook.md" in removed[0], library
        assert f'href="/materials/{doc.doc_id}/restore"' in removed[0]
        confirm = _text(await (await site.client.get(f"/materials/{doc.doc_id}/restore")).text())
        assert "恢复已移除的 handbook.md" in confirm and "现在：已移除" in confirm
        assert re.search(
            r"恢复后：《Lab handbook》，\d+ 段，由服务器命令行于 20[\d: -]+ 加载", confirm
        )

        for form in ({}, {"csrf": "forged"}):
            refused = await site.client.post(f"/materials/{doc.doc_id}/restore", data=form)
            assert refused.status == 403 and "表单已过期" in await refused.text()
        assert ingestor.store.documents() == []
        csrf = await site.csrf(f"/materials/{doc.doc_id}/restore")
        done = await site.client.post(f"/materials/{doc.doc_id}/restore", data={"csrf": csrf})
        assert done.status == 200 and "已恢复已移除的 handbook.md：《Lab handbook》" in _text(
            await done.text()
        )
        assert [d.doc for d in ingestor.store.documents()] == ["handbook.md"]
        answer = await _try(site, "How often is the torque wrench calibrated?")
        assert "90 days" in answer and "Lab handbook" in answer
        library = await (await site.client.get("/materials")).text()
        assert 'id="removed"' not in library and "/restore" not in library
        again = await site.client.get(f"/materials/{doc.doc_id}/restore")
        assert again.status == 404 and "没有可恢复的旧版" in await again.text()


async def test_a_document_whose_id_needs_quoting_opens_is_removed_and_restored(
    tmp_path, monkeypatch
):
    # Ids are hashes of the name today; a store written another way may hold any string, so
    # the pages quote an id as one path part ("/" too) and the routes take it whole.
    def named(name: str) -> str:
        return f"docs/{name}"

    monkeypatch.setattr("ingest.chunking.doc_id_for", named)
    monkeypatch.setattr("ingest.pipeline.doc_id_for", named)
    async with web_site(tmp_path) as site:
        ingestor = site.core.services.ingestor
        (tmp_path / "质量 手册#1.md").write_text(HANDBOOK, encoding="utf-8")
        assert not ingestor.ingest([tmp_path / "质量 手册#1.md"]).failed
        [doc] = ingestor.store.documents()
        assert doc.doc_id == "docs/质量 手册#1.md"
        quoted = "/materials/docs%2F%E8%B4%A8%E9%87%8F%20%E6%89%8B%E5%86%8C%231.md"
        await site.sign_in(LI)
        library = await (await site.client.get("/materials")).text()
        assert f'href="{quoted}"' in library and f'href="{quoted}/remove"' in library
        page = await site.client.get(quoted)
        assert page.status == 200 and "90 days" in await page.text()
        unquoted = await site.client.get("/materials/docs/质量 手册%231.md")  # as a proxy may
        assert unquoted.status == 200 and "90 days" in await unquoted.text()
        assert (await site.client.get("/materials/docs%2Fnone")).status == 404

        confirm = await (await site.client.get(f"{quoted}/remove")).text()
        assert f'action="{quoted}/remove"' in confirm
        done = await site.client.post(f"{quoted}/remove", data={"csrf": field(confirm, "csrf")})
        assert done.status == 200 and ingestor.store.documents() == []
        library = await (await site.client.get("/materials")).text()
        assert f'href="{quoted}/restore"' in library
        confirm = await (await site.client.get(f"{quoted}/restore")).text()
        assert f'action="{quoted}/restore"' in confirm and "质量 手册#1.md" in confirm
        done = await site.client.post(f"{quoted}/restore", data={"csrf": field(confirm, "csrf")})
        assert "已恢复已移除的 质量 手册#1.md" in _text(await done.text())
        assert [d.doc_id for d in ingestor.store.documents()] == [doc.doc_id]
        answer = await (await site.client.get("/try", params={"q": "torque wrench"})).text()
        assert f'href="{quoted}#p' in answer  # a passage's source, on the try page


async def test_a_replaced_document_goes_back_to_its_previous_passages(tmp_path):
    async with web_site(tmp_path) as site:
        await site.sign_in(LI)
        first = b"# Calibration notes\n\nCalibration labels are blue.\n"
        other = b"# Other notes\n\nCalibration labels are red.\n"
        for data, replace in ((first, False), (other, True)):
            form = _form(("notes.md", data), csrf=await site.csrf(), replace=replace)
            assert (await site.client.post("/materials", data=form)).status == 200
        [doc] = site.core.services.ingestor.store.documents()
        assert doc.title == "Other notes"
        library = await (await site.client.get("/materials")).text()
        assert (
            f'href="/materials/{doc.doc_id}/restore"' in library and 'id="removed"' not in library
        )

        confirm = _text(await (await site.client.get(f"/materials/{doc.doc_id}/restore")).text())
        assert "恢复 notes.md 的上一版" in confirm
        assert re.search(r"现在：《Other notes》，1 段，由李老师于 20[\d: -]+ 加载", confirm)
        assert re.search(
            r"恢复后：《Calibration notes》，1 段，由李老师于 20[\d: -]+ 加载", confirm
        )
        csrf = await site.csrf(f"/materials/{doc.doc_id}/restore")
        done = await site.client.post(f"/materials/{doc.doc_id}/restore", data={"csrf": csrf})
        assert "已恢复 notes.md 的上一版：《Calibration notes》，1 段" in _text(await done.text())
        passages = await (await site.client.get(f"/materials/{doc.doc_id}")).text()
        assert "labels are blue" in passages and "red" not in passages
        answer = await _try(site, "What colour are the calibration labels?")
        assert "blue" in answer and "red" not in answer
        # the version it displaced is kept in its place: restoring again undoes the restore
        confirm = _text(await (await site.client.get(f"/materials/{doc.doc_id}/restore")).text())
        assert "恢复后：《Other notes》" in confirm


async def test_an_instructor_may_not_restore_a_course_pack_document_an_admin_may(tmp_path):
    async with web_site(tmp_path) as site:
        ingestor = site.core.services.ingestor
        (tmp_path / "drafting_rules.md").write_text("# Rules\n\nUse shall.\n", encoding="utf-8")
        assert not ingestor.ingest([tmp_path / "drafting_rules.md"]).failed
        [rules] = ingestor.store.documents()
        ingestor.remove("drafting_rules.md")
        await site.sign_in(LI)
        path = f"/materials/{rules.doc_id}/restore"
        refused = await site.client.post(path, data={"csrf": await site.csrf(path)})
        assert refused.status == 403 and "只有管理员可以替换、移除或恢复" in await refused.text()
        await site.core.services.records.update_user(LI, lang="en")
        refused = await site.client.post(path, data={"csrf": await site.csrf(path)})
        assert "only an admin can replace, remove or restore it" in await refused.text()
        assert ingestor.store.documents() == []

        site.forget_cookies()
        await site.sign_in(ADA)
        done = await site.client.post(path, data={"csrf": await site.csrf(path)})
        assert "Restored the removed drafting_rules.md: “Rules”" in _text(await done.text())
        assert [d.doc for d in ingestor.store.documents()] == ["drafting_rules.md"]


async def _until(site: Site, batch: str, done, what: str) -> dict:
    for _ in range(200):
        state = await (await site.client.get(f"/materials/uploads/{batch}", headers=JSON)).json()
        if done(state):
            return state
        await asyncio.sleep(0.02)
    raise AssertionError(f"never {what}: {state}")


async def test_an_uploads_progress_is_reported_file_by_file_to_its_uploader_only(
    tmp_path, monkeypatch
):
    async with web_site(tmp_path) as site:
        services = site.core.services
        embedder = services.ingestor.embedder
        indexed, go_on = threading.Event(), threading.Event()
        embed = embedder.embed_passages

        def held(texts, progress=None):  # the passages embedded, then a pause to look
            vectors = embed(texts, progress)
            indexed.set()
            go_on.wait(10)
            return vectors

        monkeypatch.setattr(embedder, "embed_passages", held)
        await site.sign_in(LI)
        form = _form(("handbook.md", HANDBOOK.encode()), ("empty.md", b""), csrf=await site.csrf())
        async with services.ingest_lock:  # another upload is being indexed: these wait
            started = await site.client.post("/materials", data=form, headers=JSON)
            assert started.status == 200
            batch = (await started.json())["batch"]
            assert (await started.json())["page"] == f"/materials?batch={batch}#results"
            state = await (await site.client.get(f"/materials/uploads/{batch}")).json()
            assert not state["finished"]
            assert [(f["name"], f["state"], f["text"]) for f in state["files"]] == [
                ("handbook.md", "reading", "handbook.md：正在读取…"),
                ("empty.md", "waiting", "empty.md：等待中"),
            ]
            page = await (await site.client.get(f"/materials?batch={batch}")).text()
            assert f'data-batch="{batch}"' in page and 'http-equiv="refresh"' in page
            assert '<li class="working">handbook.md：正在读取…' in page

        state = await _until(
            site, batch, lambda s: s["files"][0]["state"] == "indexing", "indexing"
        )
        first = state["files"][0]
        assert first["total"] >= 2 and first["text"] == (
            f"handbook.md：正在建立索引，{first['done']}/{first['total']} 段"
        )
        await asyncio.to_thread(indexed.wait, 10)
        go_on.set()

        await services.records.update_user(LI, lang="en")  # lines in the reader's language
        state = await _until(site, batch, lambda s: s["finished"], "finished")
        [handbook, empty] = state["files"]
        assert (handbook["state"], handbook["kind"]) == ("done", "ok")
        assert handbook["text"].startswith("Added: Lab handbook · handbook.md · ")
        [loaded] = services.ingestor.store.documents()
        assert handbook["done"] == handbook["total"] == loaded.chunks
        assert (empty["state"], empty["kind"]) == ("refused", "bad")
        assert empty["text"] == "Couldn't load it: empty.md: no text could be extracted"
        page = await (await site.client.get(f"/materials?batch={batch}")).text()
        assert "data-batch" not in page and 'http-equiv="refresh"' not in page
        assert re.findall(r'<li class="(ok|bad)">', page) == ["ok", "bad"]

        site.forget_cookies()
        assert (await site.client.get(f"/materials/uploads/{batch}")).status == 401
        await site.sign_in(ADA)  # someone else's upload is none of theirs
        assert (await site.client.get(f"/materials/uploads/{batch}")).status == 404
        assert (await site.client.get(f"/materials?batch={batch}")).status == 404
        assert (await site.client.get("/materials/uploads/nosuchbatch")).status == 404
