"""The HTTP routes, one module per kind of resource; each stays thin and calls into search_api."""

from search_api.routes import exports, health, page, search, videos

ROUTERS = [search.router, videos.router, exports.router, health.router, page.router]
