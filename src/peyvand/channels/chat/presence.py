"""Who is there: agents with the inbox open (is anyone answering chats?) and agents with
one conversation open (the collision warning). Kept in the cache with expiry times, so a
socket that died without saying goodbye drops out on its own."""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache

# Agents' pages send a ping well within this; a silent socket counts as gone after it.
PRESENCE_TTL = 90
AGENTS_KEY = "chat:agents-online"


def _viewers_key(conversation_id: int) -> str:
    return f"chat:viewers:{conversation_id}"


def _alive(entries: dict[str, Any], now: float) -> dict[str, Any]:
    return {name: entry for name, entry in entries.items() if entry["until"] > now}


async def agent_online(channel_name: str, user_id: int) -> None:
    now = time.time()
    entries = _alive(await cache.aget(AGENTS_KEY) or {}, now)
    entries[channel_name] = {"user": user_id, "until": now + PRESENCE_TTL}
    await cache.aset(AGENTS_KEY, entries, PRESENCE_TTL * 2)


async def agent_offline(channel_name: str) -> None:
    entries = _alive(await cache.aget(AGENTS_KEY) or {}, time.time())
    entries.pop(channel_name, None)
    await cache.aset(AGENTS_KEY, entries, PRESENCE_TTL * 2)


async def agents_online() -> bool:
    return bool(_alive(await cache.aget(AGENTS_KEY) or {}, time.time()))


async def viewing(conversation_id: int, channel_name: str, user_id: int, name: str) -> list[Any]:
    now = time.time()
    key = _viewers_key(conversation_id)
    entries = _alive(await cache.aget(key) or {}, now)
    entries[channel_name] = {"id": user_id, "name": name, "until": now + PRESENCE_TTL}
    await cache.aset(key, entries, PRESENCE_TTL * 2)
    return viewers_of(entries)


async def left(conversation_id: int, channel_name: str) -> list[Any]:
    key = _viewers_key(conversation_id)
    entries = _alive(await cache.aget(key) or {}, time.time())
    entries.pop(channel_name, None)
    await cache.aset(key, entries, PRESENCE_TTL * 2)
    return viewers_of(entries)


def viewers_of(entries: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per person, however many tabs they have open."""
    people: dict[int, str] = {}
    for entry in entries.values():
        people[entry["id"]] = entry["name"]
    return [{"id": pk, "name": name} for pk, name in sorted(people.items())]
