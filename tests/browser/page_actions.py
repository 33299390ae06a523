"""Steps on the search page that several browser tests take."""

from __future__ import annotations


def load_every_page(page, items: str) -> None:  # noqa: ANN001 (playwright Page)
    """Click "load more" until it hides, waiting each time for more ``items`` (a CSS selector) to
    appear, or for the button to go, and for the page to finish loading."""
    more = page.get_by_test_id("load-more")
    while more.is_visible():
        count = page.locator(items).count()
        more.click()
        page.wait_for_function(
            f"() => document.querySelectorAll('{items}').length > {count}"
            " || document.querySelector('[data-testid=load-more]').hidden"
        )
        page.wait_for_function("() => document.body.dataset.loading === 'false'")
