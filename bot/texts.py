"""Every line the bot says, in Chinese and English: `say("key", lang, **values)`."""

from __future__ import annotations

from knowledge.vocabulary import CATEGORIES, Lang

__all__ = [
    "CATEGORIES", "category_name", "category_of", "category_words", "role_name", "role_of", "say"
]  # fmt: skip
CATEGORY_NAMES = {
    "research": ("研究型", "research"),
    "management": ("管理型", "management"),
    "application": ("应用型", "application"),
    "education": ("教育型", "education"),
    "editorial": ("编辑型", "editorial"),
    "international": ("国际型", "international"),
}
ROLE_NAMES = {
    "trainee": ("学员", "trainee"),
    "instructor": ("讲师", "instructor"),
    "admin": ("管理员", "admin"),
}

_TEXTS: dict[str, tuple[str, str]] = {
    "welcome": (
        "你好，{name}！我是标准化学习助手，苏州标准化产教联盟的学习伙伴。",
        "Hi {name}! I'm Standards Tutor, the study companion of the Suzhou standardization "
        "industry-education alliance.",
    ),
    "can_do": (
        "直接发问题给我（中文或英文），我会从课程资料中回答并注明出处；资料里没有的，我会如实说。\n"
        "/quiz 测验 · /review 复习 · /progress 进度\n"
        "/help 用法 · /lang 切换语言 · /privacy 隐私说明",
        "Send me a question (Chinese or English) and I'll answer from the course materials, "
        "with sources; if the materials don't say, I'll tell you.\n"
        "/quiz a quiz · /review what's due · /progress where you stand\n"
        "/help how to use · /lang language · /privacy what I keep",
    ),
    "can_do_instructor": (
        "讲师：发送文件（PDF、DOCX、PPTX、Markdown、HTML、文本）即可加入课程资料；"
        "发送题目文件（.gift、.aiken、.yaml）即可导入测验题；"
        "/materials 管理资料；/feedback 查看需要改进的回答。",
        "Instructors: send a file (PDF, DOCX, PPTX, Markdown, HTML, text) to add it to the "
        "materials, or a question file (.gift, .aiken, .yaml) to add quiz questions; "
        "/materials to manage them; /feedback for answers that need fixing.",
    ),
    "can_do_admin": (
        "管理员：/invite 角色 [班级] [人才类别] 生成邀请链接；/revoke 代码 作废；/users 查看用户；"
        "/role 用户编号 角色 更改角色；/remove 用户编号 移除用户；"
        "/report [班级] 查看测验结果；/export [班级] [csv|xlsx|xapi] 导出。",
        "Admins: /invite ROLE [COHORT] [CATEGORY] makes an invite link; /revoke CODE cancels "
        "one; /users lists people; /role USER_ID ROLE changes a role; /remove USER_ID removes "
        "someone; /report [COHORT] shows quiz results; /export [COHORT] [csv|xlsx|xapi] "
        "exports them.",
    ),
    "stranger": (
        "这个助手只对联盟的学员开放。请向你的讲师索取邀请链接。",
        "This assistant is for enrolled trainees of the alliance. Please ask your instructor "
        "for an invite link.",
    ),
    "invite_unknown": ("这个邀请链接无效。", "That invite link is not valid."),
    "invite_expired": ("这个邀请链接已过期。", "That invite link has expired."),
    "invite_used_up": ("这个邀请链接的名额已用完。", "That invite link has been used up."),
    "invite_revoked": ("这个邀请链接已被作废。", "That invite link was revoked."),
    "enrolled": ("已登记为{role}{cohort}。", "You're enrolled as {role}{cohort}."),
    "ask_category": (
        "你在为哪一类人才方向学习？",
        "Which talent category are you training for?",
    ),
    "category_set": ("已设为{category}人才。", "Category set: {category} talent."),
    # onboarding: two lines of what the bot does, example questions, a first quiz
    "enrolled_category": (
        "已登记为{role}{cohort}，人才类别：{category}。",
        "You're enrolled as {role}{cohort}, talent category: {category}.",
    ),
    "onboard": (
        "直接发问题给我（中文或英文），我从课程资料中回答，并注明出处。\n"
        "/quiz 按你的人才类别出题测验，/progress 看你离目标还差多少。",
        "Send me a question (Chinese or English) and I'll answer from the course materials, "
        "with sources.\n/quiz gives a quiz aimed at your talent category; /progress shows how "
        "far you are from its targets.",
    ),
    "onboard_try": ("试试这些问题，或先做一次测验：", "Try one of these, or take a first quiz:"),
    "first_quiz": ("🎯 做第一次测验", "🎯 Take a first quiz"),
    "example_1": ("联盟有哪六类人才？", "What are the six talent categories of the alliance?"),
    "example_2": (
        "《标准化法》规定了哪五类标准？",
        "Which five types of standards does the Standardization Law set out?",
    ),
    "example_3": (
        "ISO 标准的制定分哪几个阶段？",
        "What are the stages of developing an ISO standard?",
    ),
    "lang_pick": ("请选择语言：", "Choose a language:"),
    "lang_set": ("以后我会用中文回复。", "I'll reply in English from now on."),
    "privacy": (
        "我保存：你的 Telegram 编号和名字、角色、班级和人才类别；你问过的问题和得到的回答；"
        "你的 👍/👎 评价；你的测验作答（答案、对错、用时）和各项能力的掌握程度；"
        "正在处理的问题或文件名会暂存一份简短记录，处理完即删除（我若中途重启，会据此提醒你重发）。\n"
        "谁能看到：讲师能在待改进列表中看到被点 👎 或没答上的问题；"
        "管理员能看到用户列表、测验报告和导出的数据。\n"
        "/forget_me 可删除你的全部记录；讲师为你的问题写的标准答案会保留，但不再与你关联；"
        "你作为讲师写的标准答案也会保留，署名改为“一位老师”。",
        "I keep your Telegram id and name, role, cohort and talent category; the questions you "
        "asked with the answers you got; your 👍/👎 ratings; your quiz answers (what you chose, "
        "whether it was right, how long it took) and your mastery of each competency; while I "
        "work on a question or a file, a short note of it (or its name), deleted when I'm done "
        "(if I restart midway, it tells me what to ask you to send again).\n"
        "Who sees it: instructors see questions rated 👎 or left unanswered, in the feedback "
        "queue; admins see the user list, quiz reports and exports.\n"
        "/forget_me deletes all of it; an answer an instructor wrote to your question stays, "
        "no longer linked to you, and answers you wrote as an instructor stay, signed "
        '"an instructor".',
    ),
    "forget_confirm": (
        "确定删除你的全部记录吗？此操作不能撤销。",
        "Delete all your records? This cannot be undone.",
    ),
    "forgotten": ("你的记录已全部删除。", "All your records are deleted."),
    "cancelled": ("已取消。", "Cancelled."),
    "yes_delete": ("确定删除", "Yes, delete"),
    "cancel": ("取消", "Cancel"),
    "sources": ("出处", "Sources"),
    "quiz_me": ("🎯 就这个考考我", "🎯 Quiz me on this"),
    "thanks": ("谢谢反馈！", "Thanks for the feedback!"),
    "gone": ("这条记录已不存在。", "That record no longer exists."),
    "queued": (
        "这一分钟的提问已超过 {limit} 个：这个问题我记下了，约 {seconds} 秒后（{time}）回答。",
        "That's over {limit} questions a minute: I've kept this one and will answer it in about "
        "{seconds} s (at {time}).",
    ),
    "queue_full": (
        "已有 {n} 个问题在排队，这个没有记下。请在 {time}（约 {seconds} 秒后）再问。",
        "{n} questions are already waiting, so I didn't keep this one. Please ask again after "
        "{time} (in about {seconds} s).",
    ),
    "busy": (
        "请稍等，我还在处理你前面的消息；之后再发的我先不处理。",
        "One moment: I'm still on your earlier messages; I'll skip new ones until I catch up.",
    ),
    "slow_down": (
        "操作太快了，请稍等一分钟再试。",
        "That's faster than I can keep up; please wait a minute and try again.",
    ),
    "daily_limit": (
        "今天的提问次数（{limit}）已用完，明天再来吧。",
        "You've reached today's limit of {limit} questions; see you tomorrow.",
    ),
    "not_allowed": ("这个命令只对{role}开放。", "That command is for {role}s only."),
    "unknown_command": (
        "不认识的命令 /{command}。输入 /help 查看用法。",
        "Unknown command /{command}. Type /help to see what I can do.",
    ),
    "failed": (
        "抱歉，这次没能回答，请稍后再试。",
        "Sorry, something went wrong while answering. Please try again in a moment.",
    ),
    "canonical_by": ("—— {author} 于 {date} 解答", "— answered by {author} on {date}"),
    "canonical_someone": ("一位老师", "an instructor"),
    # a canonical answer served to a question in the other language, shown as written
    "canonical_in_zh": ("（讲师用中文撰写，原文照录）", "(written by the instructor in Chinese)"),
    "canonical_in_en": ("（讲师用英文撰写，原文照录）", "(written by the instructor in English)"),
    # a status message (or a pressed Replace's question) left by a crash mid-upload, edited
    # on the next start
    "upload_cut_off": (
        "《{about}》没有加载完：我中途重启了。请再发一次这个文件。",
        "“{about}” was not loaded: I restarted before it was done. Please send the file again.",
    ),
    "question_cut_off": (  # a half-written answer left by a crash, edited on the next start
        "我正在回答你的问题“{about}”时重启了，这个回答没有写完，请再问一次。",
        "I restarted while answering “{about}”, so this answer was cut off; please ask again.",
    ),
    "private_chat_only": (
        "请在与我的私聊中使用这个命令。",
        "Please use this command in a private chat with me.",
    ),
    "invite_throttled": (
        "邀请链接无效的尝试次数过多，请在 {minutes} 分钟后再试。",
        "Too many invalid invite links; please try again in {minutes} minutes.",
    ),
    "text_only": (
        "我只能读文字问题，请把问题打字发给我。",
        "I read text questions only; please type your question.",
    ),
    "user_usage": (
        "用法：/remove 用户编号；/role 用户编号 trainee|instructor|admin",
        "Usage: /remove USER_ID; /role USER_ID trainee|instructor|admin",
    ),
    "no_user": ("没有这个用户：{id}", "No such user: {id}"),
    "not_yourself": (
        "不能更改自己或 ADMIN_IDS 中的管理员。",
        "You can't change yourself or an admin listed in ADMIN_IDS.",
    ),
    "remove_user_confirm": (
        "确定移除 {name}（{id}）并删除其全部记录吗？此操作不能撤销。",
        "Remove {name} ({id}) and delete all their records? This cannot be undone.",
    ),
    "yes_remove_user": ("确定移除", "Yes, remove"),
    "user_removed": ("已移除 {name}（{id}）。", "Removed {name} ({id})."),
    "role_changed": ("{name}（{id}）现在是{role}。", "{name} ({id}) is now {role}."),
    "you_were_removed": (
        "管理员已将你移出标准化学习助手，你的记录已删除。",
        "An admin removed you from Standards Tutor; your records are deleted.",
    ),
    "your_role_changed": (
        "管理员已将你的角色改为{role}。发送 /help 查看你现在能做什么。",
        "An admin changed your role to {role}. Send /help to see what you can do now.",
    ),
    "answer_hint": (
        "（可选：第一行写“问：……”，用不含个人信息的说法重述问题；提问者要求删除记录时，"
        "保留的是这句话。）",
        "(Optional: start with a line “Q: …” restating the question without personal details; "
        "it is what stays if the asker has their records deleted.)",
    ),
}

_TEXTS.update(  # the web console's sign-in (bot/flows/web.py)
    {
        "console_off": (
            "网页控制台没有开启（未设置 WEB_PORT）。",
            "The web console is not running here (WEB_PORT is not set).",
        ),
        "console_link": (
            "网页控制台的登录链接（仅可使用一次，{minutes} 分钟内有效，请勿转发）：\n{link}",
            "Your sign-in link to the web console (works once, for {minutes} minutes; "
            "don't forward it):\n{link}",
        ),
    }
)


def say(
    key: str, lang: Lang, table: dict[str, tuple[str, str]] | None = None, **values: object
) -> str:
    """The line `key` in `lang`, from `table` (a flow's own lines) or the shared ones."""
    zh, en = (table or _TEXTS)[key]
    return (zh if lang == "zh" else en).format(**values)


def category_name(category: str | None, lang: Lang) -> str:
    zh, en = CATEGORY_NAMES.get(category or "", (category or "", category or ""))
    return zh if lang == "zh" else en


def category_of(word: str) -> str | None:
    """The category a word names, in either language ("国际型", "国际型人才", "International")."""
    w = word.strip().lower().removesuffix("人才")
    for category, (zh, en) in CATEGORY_NAMES.items():
        if w in (category, zh, zh.removesuffix("型"), en):
            return category
    return None


def category_words(lang: Lang) -> str:
    """The words /invite takes for each category, for a usage line."""
    sep = "、" if lang == "zh" else ", "
    return sep.join(f"{zh} / {en}" for zh, en in CATEGORY_NAMES.values())


def role_of(word: str) -> str | None:
    """The role a word names, in either language ("讲师", "instructor")."""
    w = word.strip().lower()
    return next((r for r, (zh, en) in ROLE_NAMES.items() if w in (r, zh, en)), None)


def role_name(role: str, lang: Lang) -> str:
    zh, en = ROLE_NAMES.get(role, (role, role))
    return zh if lang == "zh" else en
