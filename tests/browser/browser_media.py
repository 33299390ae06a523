"""The generated library the browser tests search: title -> coloured segments."""

from __future__ import annotations

from media import Segment

# Every colour's first run is the moment a search for that colour should find.
VIDEOS: dict[str, list[Segment]] = {
    "red moment": [Segment("blue", 2), Segment("red", 4), Segment("blue", 6)],
    "green field": [Segment("yellow", 6), Segment("green", 5), Segment("yellow", 5)],
    "blue sky": [Segment("white", 3), Segment("blue", 5), Segment("white", 4), Segment("cyan", 4)],
}
