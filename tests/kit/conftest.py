"""Fixtures the kit's test modules share: one definition each, so a session-scoped one really is one per session.

``browser`` (tests/kit/browser.py) starts Playwright once: two copies of it in one process (one imported per test
module) would start a second Playwright inside the first one's event loop, which Playwright refuses.
"""

from tests.kit.browser import browser

__all__ = ["browser"]
