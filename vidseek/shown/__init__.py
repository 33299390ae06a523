"""Text shown in the picture (on-screen text read by an OCR model), kept as lines beside said ones."""
