"""A FileResponse that reads ``Range`` as RFC 9110 says (section 14), for the video stream.

Starlette's FileResponse answers 400 to a Range in a unit other than ``bytes`` and to a malformed
``bytes`` range, and 416 (plain text, empty) when any one range starts past the end. Here:

- another unit (``items=0-5``), or a ``bytes`` range set that is not valid (``bytes=5-2``, ``bytes=x``,
  an empty set): the Range is ignored, 200 with the whole file (14.2: a server ignores a unit it does
  not know, and may ignore an invalid range);
- ``bytes`` ranges of which none can be satisfied (all start at or past the end, or a zero-length
  suffix): 416 with ``Content-Range: bytes */SIZE`` and the API's JSON error body;
- otherwise the satisfiable ranges (the others dropped) go to Starlette: 206, one part or multipart.

With an ``If-Range`` that does not name the file as it is, the Range is ignored (200, 13.1.5).
"""

from __future__ import annotations

import os
import re

import anyio
from fastapi.responses import FileResponse, JSONResponse
from starlette.types import Receive, Scope, Send

_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


def satisfiable_ranges(header: str, size: int) -> list[tuple[int, int | None]] | None:
    """The ranges of a ``bytes`` Range header that overlap a file of ``size`` bytes, as (first, last)
    with last None for "to the end" (a suffix range is turned into its first byte).

    None: the header is to be ignored (another unit, or not a valid range set). An empty list: valid
    but nothing can be satisfied (416)."""
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    ranges: list[tuple[int, int | None]] = []
    parts = spec.split(",")
    for part in parts:
        match = _SPEC.match(part)
        if match is None or match.group(1) == match.group(2) == "":
            return None
        first, last = match.group(1), match.group(2)
        if first:
            start, end = int(first), int(last) if last else None
            if end is not None and end < start:
                return None  # invalid (RFC 9110 14.1.1): the whole Range is ignored
            if start < size:
                ranges.append((start, end))
        else:
            length = int(last)
            if length > 0 and size > 0:
                ranges.append((max(size - length, 0), None))
    return ranges


def _range_header(ranges: list[tuple[int, int | None]]) -> bytes:
    return ("bytes=" + ",".join(f"{a}-{'' if b is None else b}" for a, b in ranges)).encode("latin-1")


class RangedFileResponse(FileResponse):
    """FileResponse with the Range rules of the module docstring."""

    def _validator_matches(self, if_range: str) -> bool:
        """``If-Range`` names this file as it is (a strong ETag or its Last-Modified date)."""
        value = if_range.strip()
        return not value.startswith("W/") and value in (self.headers.get("etag"), self.headers.get("last-modified"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = [value for name, value in scope.get("headers", []) if name == b"range"]
        if scope["type"] != "http" or scope["method"].upper() not in ("GET", "HEAD") or not raw:
            await super().__call__(scope, receive, send)
            return
        if self.stat_result is None:
            self.stat_result = await anyio.to_thread.run_sync(os.stat, self.path)
            self.set_stat_headers(self.stat_result)
        size = self.stat_result.st_size
        ranges = satisfiable_ranges(raw[0].decode("latin-1"), size) if len(raw) == 1 else None
        if_range = [value.decode("latin-1") for name, value in scope["headers"] if name == b"if-range"]
        if if_range and not self._validator_matches(if_range[0]):
            ranges = None  # the file changed since the client's copy: the whole file
        if ranges == []:
            response = JSONResponse(
                {"detail": f"Range: no range asked for lies within the file ({size} bytes)"},
                status_code=416,
                headers={"Content-Range": f"bytes */{size}"},
            )
            await response(scope, receive, send)
            return
        headers = [(name, value) for name, value in scope["headers"] if name != b"range"]
        if ranges is not None:
            headers.append((b"range", _range_header(ranges)))
        await super().__call__({**scope, "headers": headers}, receive, send)
