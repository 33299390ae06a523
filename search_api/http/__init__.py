"""The HTTP face: the FastAPI app, its routes, dependencies, security, requests and responses."""
