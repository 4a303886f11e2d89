"""Question files (GIFT, Aiken, YAML, Moodle XML, .xlsx/.csv spreadsheets) an instructor
sends: importing one as every channel does, and its result in the instructor's language.

Every question that is refused carries its `Problem`s: a reason code and its values (a line
number, a field's name, the bad value cut short). `WHY` renders each code in zh and en; the
English line the importer keeps is for the CLI and the logs, not for the reply.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.texts import say
from ingest.questions import MAX_REASON, BadQuestion, ImportReport, clip, import_file
from ingest.questions.spreadsheet import SUFFIXES as SHEETS
from knowledge.answering.glossary import pack_files
from knowledge.learning.model import CompetencyModel
from knowledge.learning.questions import Problem
from knowledge.records import Records
from knowledge.vocabulary import Lang

SUFFIXES = (".gift", ".aiken", ".yaml", ".yml", ".xml", *SHEETS)
MAX_ERROR_LINES = 20  # bad questions listed one by one; then how many more


class Bank(Protocol):
    """What importing a question file takes: the records (the bank) and the competency model."""

    records: Records
    model: CompetencyModel


T = {
    "questions": (
        "{name}：新增 {added} 题，更新 {updated} 题，{bad} 题有问题未导入。",
        "{name}: {added} questions added, {updated} updated, {bad} rejected.",
    ),
    "more_errors": ("……还有 {n} 题有问题。", "… and {n} more."),
    "drafts": (
        "其中 {n} 题没有标注能力项或层级，已存为草稿：请在控制台补充后发布。",
        "{n} of them have no competencies or level yet and were saved as drafts: tag them in "
        "the console, then publish them.",
    ),
    "at_line": ("• 第 {line} 行：{why}", "• Line {line}: {why}"),
    "at_row": ("• 第 {line} 行：{why}", "• Row {line}: {why}"),
    "whole_file": ("• 整个文件：{why}", "• The file: {why}"),
    "and": ("", " "),  # between one question's problems, each a sentence
}

# why a question (or the whole file) was refused, by `Problem.code`, with its values
WHY = {
    # the file as a whole
    "file_too_big": (
        "文件太大（{size} KB），题目文件最多 {limit} KB。",
        "The file is too big for a question file ({size} KB; at most {limit} KB).",
    ),
    "file_unreadable": ("文件无法读取。", "The file cannot be read ({detail})."),
    "binary_file": (
        "这是二进制文件，不是文本格式的题目文件。",
        "It is a binary file, not a text question file.",
    ),
    "not_utf8": (
        "不是 UTF-8 文本（第 {offset} 个字节无法识别），请另存为 UTF-8。",
        "It is not UTF-8 text (a bad byte at offset {offset}); save it as UTF-8.",
    ),
    "unsupported_suffix": (
        "不支持 {suffix} 文件，请使用 .yaml、.gift、.aiken、.xml、.xlsx 或 .csv。",
        "{suffix} files aren't supported: use .yaml, .gift, .aiken, .xml, .xlsx or .csv.",
    ),
    "no_questions": ("文件里没有找到题目。", "No questions were found in the file."),
    "invalid": ("这道题无法读取。", "The question can't be read ({detail})."),
    # YAML
    "yaml_alias": (
        "不允许使用 YAML 别名（*{anchor}），请把值直接写出来。",
        "YAML aliases (*{anchor}) are not allowed: write the value out.",
    ),
    "not_yaml": ("不是有效的 YAML，请检查缩进和冒号。", "It is not valid YAML: {detail}."),
    "yaml_shape": (
        "文件应是题目列表，或含有 `questions:` 的映射。",
        "Expected a list of questions or a mapping with `questions:`.",
    ),
    "yaml_top_keys": (
        "顶层有无法识别的键：{keys}（只能有 questions 和 defaults）。",
        "Unknown top-level keys: {keys} (only questions and defaults).",
    ),
    "yaml_defaults": (
        "`defaults:` 必须是题目字段到取值的映射。",
        "`defaults:` must map question fields to values.",
    ),
    "yaml_questions_list": ("`questions:` 必须是列表。", "`questions:` must be a list."),
    "yaml_not_mapping": (
        "每道题应是由题目字段组成的映射。",
        "Each question must be a mapping of question fields.",
    ),
    "unknown_field": ("有无法识别的字段：{fields}。", "Unknown field: {fields}."),
    # fields
    "missing": ("缺少必填字段：{fields}。", "Missing: {fields}."),
    "not_text_list": (
        "{field} 必须是文字列表（YAML 中的数字和日期请加引号）。",
        "{field} must be a list of text (quote numbers and dates in YAML).",
    ),
    "answer_not_option": (
        "答案 {value} 不是任何一个选项。",
        "The answer {value} is not one of the options.",
    ),
    "answer_bad_type": (
        "答案 {value} 应是选项序号或选项文字。",
        "The answer {value} must be an option index or an option's text.",
    ),
    "not_text": ("{field} 必须是文字，而不是 {value}。", "{field} must be text, not {value}."),
    "not_whole": (
        "{field} 必须是整数，而不是 {value}。",
        "{field} must be a whole number, not {value}.",
    ),
    "unknown_meta": (
        "无法识别的元数据 @{name}（可用：{known}）。",
        "Unknown metadata @{name} (known: {known}).",
    ),
    "duplicate_id": (
        "题号 {id} 重复（第一次出现在第 {first} 行）。",
        "Duplicate id {id} (first at line {first}).",
    ),
    # GIFT
    "gift_no_block": ("缺少 {{...}} 答案块。", "There is no {{...}} answer block."),
    "gift_blocks": (
        "每道题只能有一个 {{...}} 答案块（花括号本身请写成 \\{{）。",
        "A question needs exactly one {{...}} answer block (escape braces as \\{{).",
    ),
    "gift_essay": (
        "答案块 {{}} 为空：不支持问答题。",
        "The answer block {{}} is empty: essay questions are not supported.",
    ),
    "gift_numerical": (
        "数值答案 {value} 不是数字、数字:误差或 下限..上限。",
        "The numerical answer {value} is not a number, number:tolerance or low..high.",
    ),
    "gift_matching": (
        "匹配题的每一对须写成 =左项 -> 右项。",
        "Each matching pair must be written =item -> answer.",
    ),
    # Moodle XML
    "not_xml": ("不是有效的 XML：{detail}", "Not valid XML: {detail}"),
    "xml_doctype": (
        "拒绝含 DOCTYPE 或实体声明的 XML（Moodle 导出的文件不含这些）。",
        "XML with a DOCTYPE or entity declarations is refused (Moodle never writes one).",
    ),
    "moodle_not_quiz": (
        "不是 Moodle XML 导出文件：根元素是 <{tag}>，不是 <quiz>。",
        "Not a Moodle XML export: the root is <{tag}>, not <quiz>.",
    ),
    "moodle_type": (
        "第 {n} 题“{name}”：不支持 {type} 题型。",
        "Question {n} “{name}”: {type} questions are not supported.",
    ),
    "duplicate_name": (
        "第 {n} 题：题目名称“{name}”重复（第一次是第 {first} 题）。",
        "Question {n}: the name “{name}” is used again (first: question {first}).",
    ),
    "gift_answer_mark": (
        "每个答案必须以 =（正确）或 ~（错误）开头。",
        "Each answer must start with = (right) or ~ (wrong).",
    ),
    # Aiken
    "aiken_no_answer": (
        "选项后面缺少 ANSWER: 行。",
        "The ANSWER: line after the options is missing.",
    ),
    "aiken_option_order": (
        "选项 {letter} 顺序不对（应为 {expected}）。",
        "Option {letter} is out of order (expected {expected}).",
    ),
    "aiken_answer_alone": (
        "这一行 ANSWER: 前面没有题目。",
        "This ANSWER: line has no question before it.",
    ),
    "aiken_no_options": (
        "ANSWER: 前面没有选项（A. ……、B. ……）。",
        "There are no options (A. ..., B. ...) before ANSWER:.",
    ),
    "aiken_bad_answer": (
        "ANSWER: {value} 没有指向 A-{last} 中的任何选项。",
        "ANSWER: {value} names no option A-{last}.",
    ),
    # spreadsheets (.xlsx, .csv)
    "xlsx_too_big": (
        "这个 .xlsx 文件解压后太大，不像题库文件（可能是压缩炸弹），未读取。",
        "The .xlsx unpacks to too much for a question file ({detail}); it was not read.",
    ),
    "xlsx_damaged": (
        "无法读取这个 .xlsx 文件，请用 Excel 或 WPS 重新保存为 .xlsx。",
        "The .xlsx can't be read ({detail}): save it again as .xlsx.",
    ),
    "csv_bad": (
        "无法读取这个 CSV 文件，请检查引号，或另存为 .xlsx。",
        "The CSV can't be read ({detail}): check its quotes, or save it as .xlsx.",
    ),
    "csv_encoding": (
        "CSV 既不是 UTF-8 也不是 GB18030 编码（第 {offset} 个字节无法识别），请另存为 UTF-8 CSV。",
        "The CSV is neither UTF-8 nor GB18030 (a bad byte at offset {offset}): save it as "
        "UTF-8 CSV.",
    ),
    "too_many_rows": (
        "行数超过 {limit} 行，请把题库拆成几个文件。",
        "More than {limit} rows: split the question bank into smaller files.",
    ),
    "sheet_no_heading": (
        "没有找到含“题干”和“答案”的标题行，请使用模板里的列名。",
        "No heading row naming the stem and the answer was found: use the template's headings.",
    ),
    "sheet_option_gap": (
        "选项{letter}是空的，但后面还有选项。",
        "Option {letter} is empty but a later option is given.",
    ),
    "sheet_bad_kind": (
        "题型“{value}”无法识别，应为单选、多选或判断。",
        "The question type {value} is not single, multiple or true-false.",
    ),
    "sheet_no_answer": ("没有填写答案。", "There is no answer."),
    "sheet_no_options": (
        "没有选项（选项A、选项B……）。",
        "There are no options (option A, option B, ...).",
    ),
    "sheet_bad_answer": (
        "答案“{value}”不是 A-{last} 中的选项字母。",
        "The answer {value} names no option A-{last}.",
    ),
    # the question itself
    "empty_id": ("题号为空。", "The id is empty."),
    "bad_lang": (
        "语言 {value} 无效，应为 {allowed} 之一。",
        "lang {value} is not one of {allowed}.",
    ),
    "bad_status": (
        "状态 {value} 无效，应为 {allowed} 之一。",
        "status {value} is not one of {allowed}.",
    ),
    "empty_stem": ("题干为空。", "The question text is empty."),
    "bad_kind": (
        "题型 {value} 无效，应为 {allowed} 之一。",
        "kind {value} is not one of {allowed}.",
    ),
    "empty_option": ("有一个选项是空的。", "An option is empty."),
    "answer_out_of_range": (
        "答案序号 {indexes} 超出了 {n} 个选项的范围。",
        "Answer index {indexes} is out of range for {n} options.",
    ),
    "answer_repeated": ("有答案序号重复。", "An answer index is repeated."),
    "single_options": (
        "单选题需要 {lo}-{hi} 个选项，现在有 {n} 个。",
        "A single-choice question needs {lo}-{hi} options; it has {n}.",
    ),
    "single_answers": (
        "单选题只能有一个正确答案，现在有 {n} 个。",
        "A single-choice question needs exactly one answer; it has {n}.",
    ),
    "multiple_options": (
        "多选题至少需要 3 个选项，现在有 {n} 个。",
        "A multiple-choice question needs at least 3 options; it has {n}.",
    ),
    "multiple_answers": (
        "多选题至少需要 2 个正确选项，现在有 {n} 个。",
        "A multiple-choice question needs at least 2 correct options; it has {n}.",
    ),
    "truefalse_options": (
        "判断题必须正好有 2 个选项，现在有 {n} 个。",
        "A true/false question needs exactly 2 options; it has {n}.",
    ),
    "truefalse_answers": (
        "判断题只能有一个正确答案，现在有 {n} 个。",
        "A true/false question needs exactly one answer; it has {n}.",
    ),
    "short_no_accepted": (
        "简答题至少需要一个可接受的答案（accepted）。",
        "A short-answer question needs at least one accepted answer.",
    ),
    "short_options": ("简答题不能有选项。", "A short-answer question takes no options."),
    "short_answer": (
        "简答题不用答案序号，请用 accepted 列出答案。",
        "A short-answer question takes no answer indexes (use accepted).",
    ),
    "explanation_long": (
        "解析有 {length} 字，超过 {limit} 字：请缩短，其余内容放进 feedback。",
        "The explanation has {length} characters, over {limit}: shorten it and put the rest "
        "in feedback.",
    ),
    "bad_level": ("级别 {value} 不在 1-5 之间。", "Level {value} is outside 1-5."),
    "bad_bloom": (
        "认知层次 {value} 无效，应为 {allowed} 之一。",
        "bloom {value} is not one of {allowed}.",
    ),
    "no_competency": ("没有标注能力项（competencies）。", "No competency is given."),
    "unknown_competency": (
        "能力模型里没有这个能力项：{ids}。",
        "Unknown competency: {ids} (not in the competency model).",
    ),
    "unknown_source": (
        "课程资料包里没有出处文件 {value}。",
        "The source_doc {value} is not a course-pack file.",
    ),
    "no_source": ("没有注明出处文件（source_doc）。", "No source_doc is given."),
    # numerical and matching questions
    "numerical_no_answer": (
        "数值题至少需要一个满分答案。",
        "A numerical question needs a right answer.",
    ),
    "numerical_bad_answer": (
        "数值答案 {value} 不是数字、数字:误差或 下限..上限。",
        "The numerical answer {value} is not a number, number:tolerance or low..high.",
    ),
    "numerical_options": ("数值题不设选项。", "A numerical question takes no options."),
    "matching_prompts": (
        "匹配题至少需要 2 个非空的左项，现有 {n} 个。",
        "A matching question needs at least 2 non-empty items, has {n}.",
    ),
    "matching_options": (
        "匹配题需要 {lo}–{hi} 个非空的右项，现有 {n} 个。",
        "A matching question needs {lo}-{hi} non-empty answers, has {n}.",
    ),
    "matching_answers": (
        "匹配题的每个左项都需要一个右项作答案。",
        "Each item of a matching question needs one of its answers.",
    ),
}


def why(found: Problem, lang: Lang) -> str:
    """One problem in `lang`, with its values."""
    return say(found.code if found.code in WHY else "invalid", lang, WHY, **found.values)


def reason(error: BadQuestion, lang: Lang) -> str:
    """Why one question (or the file) was refused, in `lang`: its line and every problem."""
    text = say("and", lang, T).join(why(p, lang) for p in error.problems)
    row = Path(error.file).suffix.lower() in SHEETS
    key = ("at_row" if row else "at_line") if error.line else "whole_file"
    return say(key, lang, T, line=error.line, why=clip(text, MAX_REASON))


@dataclass(frozen=True)
class Imported:
    name: str
    added: int
    updated: int
    errors: tuple[BadQuestion, ...]
    drafts: int = 0  # imported as untagged drafts, to tag before they are published

    def summary(self, lang: Lang) -> str:
        """The counts, then each refused question's line and reason, in `lang`."""
        return "\n".join(self.lines(lang))

    def lines(self, lang: Lang) -> list[str]:
        bad = len(self.errors)
        values = {"name": self.name, "added": self.added, "updated": self.updated, "bad": bad}
        lines = [say("questions", lang, T, **values)]
        if self.drafts:
            lines.append(say("drafts", lang, T, n=self.drafts))
        lines += [reason(e, lang) for e in self.errors[:MAX_ERROR_LINES]]
        if bad > MAX_ERROR_LINES:
            lines.append(say("more_errors", lang, T, n=bad - MAX_ERROR_LINES))
        return lines


async def import_questions(bank: Bank, path: Path, name: str | None = None) -> Imported:
    """Import one question file as every channel does: the good questions go into the bank."""
    # Parsing and checking is CPU work on a file anyone on staff may send: not on the loop.
    report = await asyncio.to_thread(_read, path, set(bank.model.competencies))
    added, updated = await bank.records.upsert_items(report.questions)
    drafts = sum(q.status == "draft" and not (q.competencies and q.level) for q in report.questions)
    return Imported(name or path.name, added, updated, tuple(report.errors), drafts)


def _read(path: Path, competencies: set[str]) -> ImportReport:
    return import_file(path, competencies, pack_files())
