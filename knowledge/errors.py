"""Every error a user can see, in one place.

StdTutorError                 base: str(error) is a plain sentence for the user
├── MaterialError             one input file could not be loaded (the batch goes on)
│   ├── UnsupportedType       no loader for this file type
│   ├── TooLarge              over the size limit
│   ├── CorruptFile           the file cannot be parsed
│   ├── EncryptedFile         password-protected
│   ├── EmptyDocument         no extractable text
│   ├── UnreadableEncoding    text that is not UTF-8, UTF-16 or GB18030
│   ├── IndexFull             the library could not be written: the server's disk is full
│   └── IndexReadOnly         the library could not be written: it is read-only
├── UnknownDocument           `remove` named a document that is not loaded
├── PackDocument              only an admin may replace or remove the course pack's documents
├── NoPreviousVersion         `restore` named a document with no superseded version kept
└── BadQuestion               empty or oversized question
"""

from __future__ import annotations

from pathlib import Path


class StdTutorError(Exception):
    """Base of all errors whose message is shown to a user."""


class MaterialError(StdTutorError):
    """`code` names the reason for the text tables (shown in the person's language);
    `reason` and `detail` make the English line of the CLI and the logs."""

    code = "unreadable"
    reason = "cannot be loaded"

    def __init__(self, path: str | Path, detail: str = "") -> None:
        self.path = Path(path)
        self.detail = detail
        message = f"{self.path.name}: {self.reason}"
        super().__init__(f"{message} ({detail})" if detail else message)

    def __reduce__(
        self,
    ) -> tuple[
        type[MaterialError], tuple[Path, str]
    ]:  # raised in the reading child process, re-raised in the parent
        return type(self), (self.path, self.detail)


class UnsupportedType(MaterialError):
    code = "unsupported_type"
    reason = "unsupported file type"


class TooLarge(MaterialError):
    code = "too_large"
    reason = "file is too large"


class TooDemanding(MaterialError):
    code = "too_demanding"
    reason = "reading it needs more memory or time than allowed"


class CorruptFile(MaterialError):
    code = "corrupt"
    reason = "file is damaged or not what its name says"


class EncryptedFile(MaterialError):
    code = "encrypted"
    reason = "file is password-protected"


class EmptyDocument(MaterialError):
    code = "empty"
    reason = "no text could be extracted"


class UnreadableEncoding(MaterialError):
    code = "encoding"
    reason = "text encoding is not readable (use UTF-8)"


class IndexFull(MaterialError):
    code = "index_full"
    reason = "the library cannot be written: the server's disk is full (nothing was changed)"


class IndexReadOnly(MaterialError):
    code = "index_read_only"
    reason = "the library cannot be written: it is read-only on the server (nothing was changed)"


class UnknownDocument(StdTutorError):
    def __init__(self, doc: str) -> None:
        super().__init__(f"no loaded document is called {doc!r} (see `stdtutor materials`)")


class PackDocument(StdTutorError):
    def __init__(self, doc: str) -> None:
        self.doc = doc
        super().__init__(
            f"{doc} is part of the bundled course pack; only an admin can replace or remove it"
        )


class NoPreviousVersion(StdTutorError):
    def __init__(self, doc: str) -> None:
        self.doc = doc
        super().__init__(f"{doc} has no earlier version to restore")


_QUESTION_REASONS = {
    "empty_question": {"zh": "请先输入一个问题。", "en": "Please type a question."},
    "question_too_long": {
        "zh": "问题太长了（{length} 字）。请把问题缩短到 {limit} 字以内。",
        "en": "That question is too long ({length} characters); please keep it under {limit}.",
    },
}


class BadQuestion(StdTutorError):
    """The question is empty or too long: a reason code, shown in the asker's language."""

    def __init__(self, reason: str, lang: str, **values: object) -> None:
        self.reason, self.lang, self.values = reason, lang, values
        super().__init__(_QUESTION_REASONS[reason][lang].format(**values))
