"""Storage: SQL tables, the engine, every read and write, jobs, keys, the library (SQL + FAISS)."""
