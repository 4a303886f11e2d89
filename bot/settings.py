"""All settings, read from the environment and `.env` (only entry points create this)."""

from __future__ import annotations

from pathlib import Path

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
    max_upload_mb: int = 50
    max_question_chars: int = 1000
    telegram_bot_token: SecretStr | None = None

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def api_key(self) -> str:
        # Local OpenAI-compatible servers accept any key; the client insists on one.
        return self.openai_api_key.get_secret_value() if self.openai_api_key else "not-needed"
