"""Turning video files into clips and vectors: decode, sample, embed, pool, store."""
