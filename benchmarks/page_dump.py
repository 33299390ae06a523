"""Every page of every query of the moment world, as the API answers it (JSON, ``took_ms`` left out),
written to one file: run it from two code trees and compare the files to show a change leaves the
answers as they were, page by page.

    PYTHONPATH=/tmp/vidseek-before python benchmarks/page_dump.py --out /tmp/before.jsonl
    PYTHONPATH=. python benchmarks/page_dump.py --out /tmp/now.jsonl
    cmp /tmp/before.jsonl /tmp/now.jsonl

Pages: limit 10 at offsets 0, 10, 20, 30 and limit 25 at 0, for ``min_relevance`` medium and low.
Uses only what both trees have (``benchmarks.moment_world``, ``answer``), so the tree before a change
can run it from outside.

``--library DIR`` dumps instead the pages of ``--queries`` text queries over a library built by
``benchmarks.api_load.build_library`` (the real ViT-B-32 text graph, random weights; the query cache
off, one thread per request as `vidseek serve` runs): the API's own path at 5k or 1M clips.
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


def dump_library(out: Path, library_dir: Path, queries: int) -> int:
    from benchmarks.api_load import MODEL, _queries
    from search_api.http.schemas import TextSearch
    from search_api.http.serve_processes import one_thread_per_request
    from search_api.http.services import load_services
    from search_api.search.moments import answer
    from vidseek.config import Settings

    one_thread_per_request()
    engine = load_services(Settings(data_dir=library_dir, model=MODEL), None, query_cache_size=0).engine
    pages = 0
    with open(out, "w") as f:
        for text in _queries(queries, seed=11):
            vector = engine.encode_query(text)
            for bar in BARS:
                for limit, offset in [(10, 0), (10, 10), (25, 0)]:
                    filters = TextSearch(q=text, limit=limit, offset=offset, min_relevance=bar)
                    page = answer(engine, text, vector, filters).model_dump(mode="json", exclude_unset=True)
                    page.pop("took_ms", None)
                    f.write(json.dumps([text, bar, limit, offset, page], sort_keys=True) + "\n")
                    pages += 1
    return pages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", default="default", help="the moment world's size (benchmarks.moments.SIZES)")
    parser.add_argument("--library", type=Path, help="a benchmarks.api_load library to dump instead of the world")
    parser.add_argument("--queries", type=int, default=40, help="text queries over --library")
    args = parser.parse_args(argv)
    pages = dump(args.out, args.size) if args.library is None else dump_library(args.out, args.library, args.queries)
    print(f"{pages} pages written to {args.out}")


if __name__ == "__main__":
    main()
