"""What callers send: search parameters (query string or JSON body), each with its bounds."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

MAX_LIMIT = 1000
MAX_OFFSET = 100_000


def _not_blank(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("must not be empty: say what to look for, e.g. 'a dog on a beach'")
    return None if value is None else value.strip()


class MomentFilters(BaseModel):
    """Which moments may be returned, and which page of them."""

    limit: int = Field(10, ge=1, le=MAX_LIMIT, description="Moments per page.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Moments to skip: the previous page's next_offset.")
    video_id: list[int] = Field(default_factory=list, description="Only these videos (repeat the parameter).")
    path_prefix: str | None = Field(None, min_length=1, description="Only videos whose path starts with this.")
    min_score: float | None = Field(None, ge=-1.0, le=1.0, allow_inf_nan=False,
                                    description="Relevance cut-off: no moment scoring below it.")
    min_duration: float | None = Field(None, ge=0, allow_inf_nan=False, description="Shortest video, seconds.")
    max_duration: float | None = Field(None, ge=0, allow_inf_nan=False, description="Longest video, seconds.")
    min_relevance: Literal["high", "medium", "low"] = Field(
        "medium", description="Weakest relevance band shown: 'low' shows everything, the default hides what "
                              "scores like unrelated material (the response says how many were hidden).")
    group_by: Literal["none", "video"] = Field("none", description="'video': one entry per video, with its moments; "
                                                                   "limit and offset then count videos.")
    sort: Literal["score", "count", "date"] = Field(
        "score", description="'score': best first; 'count': videos with most matching moments first (with "
                             "group_by=video); 'date': newest video (file modification time) first.")
    indexed_after: datetime | None = Field(None, description="Only videos indexed after this ISO 8601 time "
                                                             "(UTC when no offset is given).")

    @model_validator(mode="after")
    def _durations_in_order(self) -> "MomentFilters":
        if self.min_duration is not None and self.max_duration is not None and self.min_duration > self.max_duration:
            raise ValueError(f"min_duration ({self.min_duration}) is larger than max_duration ({self.max_duration})")
        if self.sort == "count" and self.group_by != "video":
            raise ValueError("sort=count orders videos by their number of moments: use it with group_by=video")
        return self


class TextSearch(MomentFilters):
    q: str = Field(..., max_length=1000, description="What to look for, in words.")

    _q_not_blank = field_validator("q")(_not_blank)


class SimilarSearch(MomentFilters):
    clip_id: int = Field(..., ge=1, description="A result's clip_id: find moments like that one.")


class PhraseSearch(MomentFilters):
    """``POST /api/search``: phrases to find and phrases to avoid, combined into one query."""

    q: str | None = Field(None, max_length=1000, description="What to look for; joins the positive phrases.")
    positive: list[str] = Field(default_factory=list, max_length=32, description="More phrases to look for.")
    negative: list[str] = Field(default_factory=list, max_length=32, description="Phrases to steer away from.")
    negative_weight: float = Field(0.5, ge=0.0, le=2.0, allow_inf_nan=False,
                                   description="How hard the negative phrases push away.")

    _q_not_blank = field_validator("q")(_not_blank)

    @field_validator("positive", "negative")
    @classmethod
    def _phrases_not_blank(cls, phrases: list[str]) -> list[str]:
        if any(not p.strip() for p in phrases):
            raise ValueError("phrases must not be empty")
        return [p.strip() for p in phrases]

    @model_validator(mode="after")
    def _something_to_find(self) -> "PhraseSearch":
        if not self.q and not self.positive:
            raise ValueError("give q or at least one positive phrase")
        return self

    @property
    def phrases(self) -> list[str]:
        return ([self.q] if self.q else []) + self.positive

    @property
    def label(self) -> str:
        return ", ".join(self.phrases + [f"not {n}" for n in self.negative])
