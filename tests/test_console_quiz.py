"""The quiz in the console channel: the same flow as Telegram, buttons pressed by number."""

from __future__ import annotations

import io

from bot.bootstrap import ensure_bank
from bot.channels.console import chat


async def test_a_console_quiz_asks_the_category_then_runs_to_a_score(pack_app, core_for):
    core = await core_for(pack_app.tutor)
    await ensure_bank(core.services.records, core.services.model)
    typed = "/quiz 2\n1\n/quiz 2\n1\n1\n/progress\n"
    out = io.StringIO()
    await chat(core, io.StringIO(typed), out)
    shown = out.getvalue()

    assert "先选择你的人才类别" in shown and "[1] 研究型" in shown
    assert "已设为研究型人才" in shown
    assert "1/2 · " in shown and "2/2 · " in shown
    assert shown.count("回答正确") + shown.count("不对") == 2
    assert "测验结束" in shown and "目标" in shown
    assert "差距最大" in shown and "saved to" in shown
    user = await core.services.records.user(0)
    assert user.category == "research" and len(await core.services.records.attempts_of(0)) == 2
