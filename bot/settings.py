"""All settings, read from the environment and `.env` (only entry points create this)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    stdtutor_home: Path = Field(Path("data"), description="where all data lives")
    embedding_cache: Path | None = Field(
        None, description="embedding cache file; default STDTUTOR_HOME/cache/embeddings.sqlite"
    )
    chroma_url: str | None = Field(None, description="a Chroma server; embedded if unset")
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    llm_timeout: float = Field(20.0, description="seconds before falling back to extracts")
    embeddings_model: str | None = Field(
        None, description="an embeddings model at OPENAI_BASE_URL; the bundled model if unset"
    )
    second_encoder: bool = Field(
        True, description="also rank with the bundled multilingual USE encoder (cross-language)"
    )
    max_upload_mb: int = 50
    read_memory_mb: int = Field(
        1024, description="memory a file may take while it is read (in a child process)"
    )
    read_seconds: float = Field(120.0, description="time a file may take while it is read")
    max_question_chars: int = 1000
    database_url: str | None = Field(
        None, description="learner records; SQLite under STDTUTOR_HOME if unset, or postgresql://"
    )
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str | None = Field(
        None, description="a local Bot API server, e.g. http://127.0.0.1:8081 (lifts file limits)"
    )
    telegram_max_download_mb: int | None = Field(
        None, description="largest upload the bot fetches; 20 (Bot API) or 2000 (local server)"
    )
    telegram_max_rate: float = Field(30.0, description="outgoing messages a second; 0: no limit")
    webhook_url: str | None = Field(None, description="public HTTPS URL; polling if unset")
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: SecretStr | None = Field(None, description="checked on every webhook call")
    access: Literal["invite", "open"] = "invite"
    admin_ids: str = Field("", description="Telegram user ids, comma-separated, always admins")
    questions_per_minute: int = 10
    questions_per_day: int = 200
    invite_uses: int = 30
    invite_days: int = 14
    invite_staff_uses: int = Field(1, description="default uses of an instructor/admin invite")
    invite_staff_days: int = Field(1, description="default days of an instructor/admin invite")
    timezone: str = Field("Asia/Shanghai", description="the alliance's time zone, for times shown")
    web_port: int | None = Field(
        None, description="serve the web console on this port; off if unset"
    )
    web_listen: str = Field("127.0.0.1", description="the address the web console listens on")
    web_url: str | None = Field(
        None,
        description="the console's public URL (behind a TLS proxy); http://LISTEN:PORT if unset",
    )
    web_session_hours: int = Field(12, description="how long a console sign-in lasts")
    web_login_widget: bool = Field(
        False, description="the Telegram Login Widget on the console's /signin (needs the token)"
    )

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def admins(self) -> frozenset[int]:
        return frozenset(int(part) for part in self.admin_ids.replace(" ", "").split(",") if part)

    @property
    def records_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.stdtutor_home / 'records.sqlite'}"

    @property
    def max_download_bytes(self) -> int:
        default = 2000 if self.telegram_api_base_url else 20
        return (self.telegram_max_download_mb or default) * 1024 * 1024

    @property
    def console_url(self) -> str | None:
        """Where the web console is reached, when it runs."""
        if self.web_port is None:
            return None
        return (self.web_url or f"http://{self.web_listen}:{self.web_port}").rstrip("/")

    @property
    def api_key(self) -> str:
        # Local OpenAI-compatible servers accept any key; the client insists on one.
        return self.openai_api_key.get_secret_value() if self.openai_api_key else "not-needed"
