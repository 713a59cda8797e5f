"""Telling robots from people: what the user agent says, what automation admits
(navigator.webdriver) and what no person does (many page views within a second)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from peyvand.tracking.choices import Device

BOT_AGENT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|archiver|headless|phantomjs|selenium|puppeteer|playwright"
    r"|lighthouse|pingdom|uptime|monitor|curl/|wget/|python-requests|python-urllib|httpx"
    r"|go-http-client|java/|okhttp|libwww|scrapy|facebookexternalhit|preview",
    re.IGNORECASE,
)
# More page views than this within one second of each other: scripted, not read.
MAX_PAGE_VIEWS_PER_SECOND = 5


def is_bot_agent(user_agent: str) -> bool:
    return not user_agent.strip() or BOT_AGENT.search(user_agent) is not None


def too_fast(page_view_times: Sequence[dt.datetime]) -> bool:
    """True when some one-second window holds more than MAX_PAGE_VIEWS_PER_SECOND views."""
    times = sorted(page_view_times)
    limit = MAX_PAGE_VIEWS_PER_SECOND
    return any((times[i + limit] - times[i]).total_seconds() < 1 for i in range(len(times) - limit))


def device_of(user_agent: str) -> str:
    agent = user_agent.lower()
    if "ipad" in agent or "tablet" in agent or ("android" in agent and "mobile" not in agent):
        return Device.TABLET
    if "mobi" in agent or "iphone" in agent:
        return Device.MOBILE
    if agent:
        return Device.DESKTOP
    return Device.UNKNOWN
