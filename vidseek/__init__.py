"""vidseek: self-hosted text-to-video semantic search."""

__version__ = "0.1.0"
