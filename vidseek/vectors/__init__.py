"""Vectors: the FAISS index, its choice and tuning, pooling, synthetic collections, BLAS threads."""
