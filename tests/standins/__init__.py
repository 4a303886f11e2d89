"""Local stand-ins for the services the app talks to: real protocols, no network."""

from .chroma_server import ChromaServer, close_http_client
from .openai_server import FakeOpenAI, fake_embedding

__all__ = ["ChromaServer", "FakeOpenAI", "close_http_client", "fake_embedding"]
