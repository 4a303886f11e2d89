"""Answering from the materials: the index (store, embeddings, BM25), retrieval, the
evidence gate and the writers (extractive, LLM), and the tutor that runs them in order."""
