"""What callers send: search parameters (query string or JSON body), each with its bounds.

Every bound lives here, once. The fixed ones (``MAX_*``, ids) are in the fields, so the OpenAPI
document shows them; the ones a server may lower (``max_query_chars``, ``max_page_size``,
``max_result_window`` in the settings) are checked by each model's ``within`` against the settings.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from annotated_types import Interval
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)

from vidseek.config import Settings

MAX_LIMIT = 1000
MAX_OFFSET = 100_000
MAX_CHARS = 1000
"""Longest query text or phrase; ``max_query_chars`` may lower it."""
MAX_ID = 2**31 - 1
"""Largest row id: ids are 32-bit INTEGER columns on PostgreSQL."""
MAX_VIDEO_IDS = 1000
"""Most ``video_id`` filters in one request."""
MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""Largest example image for ``POST /api/search/image``."""
MAX_IMAGE_PIXELS = 50_000_000
"""Largest example image in pixels (a 12000x12000 PNG can be 17 KiB): refused before it is decoded."""


def _whole_number(value: object) -> object:
    """Ids are written as digits: ``12``, not ``12.0``, ``+12`` or ``1_2`` (pydantic's lax int parsing)."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise ValueError(f"must be a whole number written in digits, e.g. 12 (not {value[:20]!r})")
    elif isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number, e.g. 12")
    return value


Digits = BeforeValidator(_whole_number)
IdRange = Interval(ge=1, le=MAX_ID)
"""As annotated_types, not Field(ge, le): beside a validator, only these reach the JSON Schema as minimum/maximum."""
RowId = Annotated[int, IdRange, Digits]
"""A database id in a query string or body: 1 .. 2^31 - 1, in digits."""


def _not_blank(value: object) -> object:
    """Query texts say something: blank ones are refused in words, the rest are stripped."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty: say what to look for, e.g. 'a dog on a beach'")
        return value.strip()
    return value


QueryText = Annotated[str, StringConstraints(max_length=MAX_CHARS, pattern=r"\S"), BeforeValidator(_not_blank)]
"""A query text or phrase: up to MAX_CHARS, not blank (``pattern: \\S`` in the JSON Schema), stripped."""
Phrase = QueryText


def _number_not_boolean(value: object) -> object:
    """Pydantic would read ``true`` in a JSON body as 1; a number field takes numbers only (query
    strings never carry booleans)."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    return value


def _iso_time(value: object) -> object:
    """``indexed_after`` is written as an ISO 8601 time; pydantic would also read a bare number as
    seconds since 1970, which the API document does not promise."""
    if isinstance(value, bool | int | float) or (isinstance(value, str) and re.fullmatch(r"\s*[-+]?[\d.]+\s*", value)):
        raise ValueError("must be an ISO 8601 time such as 2024-06-01T12:00:00Z, not a number")
    return value


class LimitExceeded(ValueError):
    """A value is within the fixed bounds but over one this server's settings lower (answered 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")


class MomentFilters(BaseModel):
    """Which moments may be returned, and which page of them."""

    limit: int = Field(10, ge=1, le=MAX_LIMIT, description="Moments per page.")
    offset: int = Field(
        0,
        ge=0,
        le=MAX_OFFSET,
        description="Moments to skip: the previous page's next_offset "
        "(offset + limit at most the server's result window, "
        "1000 by default).",
    )
    video_id: list[RowId] = Field(
        default_factory=list, max_length=MAX_VIDEO_IDS, description="Only these videos (repeat the parameter)."
    )
    path_prefix: str | None = Field(
        None, min_length=1, max_length=4096, description="Only videos whose path starts with this."
    )
    min_score: float | None = Field(
        None, ge=-1.0, le=1.0, allow_inf_nan=False, description="Relevance cut-off: no moment scoring below it."
    )
    min_duration: float | None = Field(None, ge=0, allow_inf_nan=False, description="Shortest video, seconds.")
    max_duration: float | None = Field(None, ge=0, allow_inf_nan=False, description="Longest video, seconds.")
    min_relevance: Literal["high", "medium", "low"] = Field(
        "medium",
        description="Weakest relevance band shown: 'low' shows everything, the default hides what "
        "scores like unrelated material (the response says how many were hidden).",
    )
    group_by: Literal["none", "video"] = Field(
        "none", description="'video': one entry per video, with its moments; limit and offset then count videos."
    )
    sort: Literal["score", "count", "date"] = Field(
        "score",
        description="'score': best first; 'count': videos with most matching moments first (with "
        "group_by=video); 'date': newest video (file modification time) first.",
    )
    indexed_after: datetime | None = Field(
        None, description="Only videos indexed after this ISO 8601 time (UTC when no offset is given)."
    )

    _result_window: int | None = PrivateAttr(None)
    """Set by ``within``: the deepest page this server serves (``max_result_window``)."""

    _numbers_not_booleans = field_validator(
        "limit", "offset", "min_score", "min_duration", "max_duration", mode="before"
    )(_number_not_boolean)
    _time_in_words = field_validator("indexed_after", mode="before")(_iso_time)

    @model_validator(mode="after")
    def _durations_in_order(self) -> "MomentFilters":
        if self.min_duration is not None and self.max_duration is not None and self.min_duration > self.max_duration:
            raise ValueError(f"min_duration ({self.min_duration}) is larger than max_duration ({self.max_duration})")
        if self.sort == "count" and self.group_by != "video":
            raise ValueError("sort=count orders videos by their number of moments: use it with group_by=video")
        return self

    def texts(self) -> list[tuple[str, str]]:
        """(field, text) of every query text, for the length limit."""
        return []

    def within(self, settings: Settings) -> "MomentFilters":
        """This request, or LimitExceeded naming the first field over a limit of this server's settings."""
        for field, text in self.texts():
            if len(text) > settings.max_query_chars:
                raise LimitExceeded(field, f"at most {settings.max_query_chars} characters ({len(text)} given)")
        if self.limit > settings.max_page_size:
            raise LimitExceeded("limit", f"at most {settings.max_page_size} per page ({self.limit} asked)")
        if self.offset + self.limit > settings.max_result_window:
            raise LimitExceeded(
                "offset",
                f"offset + limit may be at most {settings.max_result_window} "
                f"({self.offset} + {self.limit} asked): narrow the query or its filters "
                f"rather than paging this deep",
            )
        self._result_window = settings.max_result_window
        return self

    def has_next_page(self, available: int) -> bool:
        """Whether ``available`` results (moments or groups) leave a next page this server would serve:
        one that starts past this one and, at the same limit, ends inside the result window."""
        end = self.offset + self.limit
        return available > end and (self._result_window is None or end + self.limit <= self._result_window)


Modality = Annotated[
    Literal["visual", "speech", "shown", "all"],
    Field(
        description="'visual': what is seen; 'speech': what is said or written (subtitle and transcript "
        "cues, by the database's full text: words, \"phrases\", prefix*, and by meaning); 'shown': the text "
        "shown in the picture (read by OCR), by words and meaning alike; 'all': all three, fused by "
        "reciprocal rank."
    ),
]
"""The signals a search by words looks at (``search_api.search.engine``), for GET and POST alike."""


class TextSearch(MomentFilters):
    q: QueryText = Field(..., description="What to look for, in words.")
    modality: Modality = "all"

    def texts(self) -> list[tuple[str, str]]:
        return [("q", self.q)]


class SimilarSearch(MomentFilters):
    clip_id: Annotated[int, Digits] = Field(
        ..., ge=1, le=MAX_ID, description="A result's clip_id: find moments like that one."
    )


class PhraseSearch(MomentFilters):
    """``POST /api/search``: phrases to find and phrases to avoid, combined into one query. A field it
    does not know is refused (422 naming it), not ignored: a misspelt option would silently change
    the answer."""

    model_config = ConfigDict(extra="forbid")

    q: QueryText | None = Field(None, description="What to look for; joins the positive phrases.")
    positive: list[Phrase] = Field(default_factory=list, max_length=32, description="More phrases to look for.")
    negative: list[Phrase] = Field(default_factory=list, max_length=32, description="Phrases to steer away from.")
    negative_weight: float = Field(
        0.5, ge=0.0, le=2.0, allow_inf_nan=False, description="How hard the negative phrases push away."
    )
    modality: Modality = "all"

    _weight_not_boolean = field_validator("negative_weight", mode="before")(_number_not_boolean)

    @model_validator(mode="after")
    def _something_to_find(self) -> "PhraseSearch":
        if not self.q and not self.positive:
            raise ValueError("give q or at least one positive phrase")
        return self

    def texts(self) -> list[tuple[str, str]]:
        return ([("q", self.q)] if self.q else []) + [
            (f"{name}.{i}", text) for name in ("positive", "negative") for i, text in enumerate(getattr(self, name))
        ]

    @property
    def phrases(self) -> list[str]:
        return ([self.q] if self.q else []) + self.positive

    @property
    def label(self) -> str:
        return ", ".join(self.phrases + [f"not {n}" for n in self.negative])
