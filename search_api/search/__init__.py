"""The search: one pipeline from a query to a page of moments (see ARCHITECTURE.md)."""
