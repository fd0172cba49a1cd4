"""The retrieval store: Chroma for vectors and records, BM25 beside it, hybrid search."""
