"""The HTTP routes, one module per kind of resource; each stays thin and calls into search_api."""

from search_api.http.routes import auth, exports, health, jobs, library_writes, page, reembed, search, videos

ROUTERS = [
    search.router,
    videos.router,
    library_writes.router,
    reembed.router,
    jobs.router,
    auth.router,
    exports.router,
    health.router,
    page.router,
]
