"""Every page of every query of the moment world, as the API answers it (JSON, ``took_ms`` left out),
written to one file: run it from two code trees and compare the files to show a change leaves the
answers as they were, page by page.

    PYTHONPATH=/tmp/vidseek-before python benchmarks/page_dump.py --out /tmp/before.jsonl
    PYTHONPATH=. python benchmarks/page_dump.py --out /tmp/now.jsonl
    cmp /tmp/before.jsonl /tmp/now.jsonl

Pages: limit 10 at offsets 0, 10, 20, 30 and limit 25 at 0, for ``min_relevance`` medium and low.
Uses only what both trees have (``benchmarks.moment_world``, ``answer``), so the tree before a change
can run it from outside.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

PAGES = [(10, 0), (10, 10), (10, 20), (10, 30), (25, 0)]
BARS = ["medium", "low"]


def dump(out: Path, size: str = "default") -> int:
    from benchmarks.moment_world import WorldEncoder, build_world, load_into
    from benchmarks.moments import SIZES, encoder_spec
    from search_api.http.schemas import MomentFilters
    from search_api.search.engine import SearchEngine
    from search_api.search.moments import answer
    from vidseek.config import Settings
    from vidseek.storage.library import Library

    world = build_world(SIZES[size])
    pages = 0
    with tempfile.TemporaryDirectory(prefix="vidseek-pages-") as tmp, open(out, "w") as f:
        library = Library(Settings(data_dir=Path(tmp), model=encoder_spec(world.params)), notify=lambda m: None)
        load_into(library, world)
        engine = SearchEngine(library, WorldEncoder(world.params))
        for q in world.queries:
            for bar in BARS:
                for limit, offset in PAGES:
                    filters = MomentFilters(limit=limit, offset=offset, min_relevance=bar)
                    page = answer(engine, q.text, q.vector, filters).model_dump(mode="json", exclude_unset=True)
                    page.pop("took_ms", None)
                    f.write(json.dumps([q.text, bar, limit, offset, page], sort_keys=True) + "\n")
                    pages += 1
    return pages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", default="default", help="the moment world's size (benchmarks.moments.SIZES)")
    args = parser.parse_args(argv)
    print(f"{dump(args.out, args.size)} pages written to {args.out}")


if __name__ == "__main__":
    main()
