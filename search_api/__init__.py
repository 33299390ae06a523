"""Finding moments: text query to ranked, grounded, non-overlapping moments; served over HTTP."""
