"""Evaluation: labelled query sets, their scoring and the metrics (``vidseek eval``)."""
