"""Optional extras the suite can run without: a test that needs one is skipped, saying which to install."""

from __future__ import annotations

from importlib.util import find_spec

import pytest

from indexer.decode import DecordDecoder, PyAVDecoder

HAVE_DECORD = find_spec("decord") is not None
needs_decord = pytest.mark.skipif(not HAVE_DECORD, reason="decord is an optional extra: pip install -e '.[decord]'")

DECODERS = [PyAVDecoder(), DecordDecoder()]
"""Both backends (compare them in a test marked ``needs_decord``)."""
DECODER_PARAMS = [
    pytest.param(PyAVDecoder(), id="pyav"),
    pytest.param(DecordDecoder(), id="decord", marks=needs_decord),
]
"""Each backend as a test parameter; the decord one skipped without decord."""
