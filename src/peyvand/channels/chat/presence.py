"""Who is there: agents with the inbox open (is anyone answering chats?) and agents with
one conversation open (the collision warning).

Each socket is its own cache key with an expiry that the socket's heartbeat (the inbox
page pings every 30 s) pushes forward, so a socket only ever writes or deletes its own
key and a socket that died without saying goodbye drops out on its own. Finding the keys
takes an index per roster: socket names, written under a short lock (cache ``add`` is
atomic on Redis and in local memory) so that two sockets joining at once cannot overwrite
each other. A leaving socket does not touch the index: entries whose key has gone are
stale, skipped by readers and pruned by the next socket that joins."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from django.core.cache import cache

# Agents' pages send a ping well within this; a silent socket counts as gone after it.
PRESENCE_TTL = 90
# The index outlives its members and every heartbeat extends it, so it is there while anyone is.
INDEX_TTL = PRESENCE_TTL * 2
# The index lock is held for two cache round trips; a holder that died frees it after this.
LOCK_TTL = 5


class Roster:
    """The live sockets of one group of people, each with a small dict about it."""

    def __init__(self, name: str) -> None:
        self.index_key = f"{name}:index"
        self.lock_key = f"{name}:lock"
        self.prefix = f"{name}:member:"

    def _key(self, channel_name: str) -> str:
        return self.prefix + channel_name

    @asynccontextmanager
    async def _index_lock(self) -> AsyncIterator[None]:
        deadline = time.monotonic() + LOCK_TTL
        delay = 0.002
        while not await cache.aadd(self.lock_key, 1, LOCK_TTL):
            if time.monotonic() > deadline:
                # The holder died with the lock; it has expired by now or will shortly,
                # and a late writer at worst re-adds an entry a heartbeat would re-add.
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
        try:
            yield
        finally:
            await cache.adelete(self.lock_key)

    async def join(self, channel_name: str, entry: dict[str, Any]) -> None:
        """Add the socket (or refresh it: this is also the heartbeat)."""
        await cache.aset(self._key(channel_name), entry, PRESENCE_TTL)
        index: list[str] = await cache.aget(self.index_key) or []
        if channel_name in index:
            await cache.atouch(self.index_key, INDEX_TTL)
            return
        async with self._index_lock():
            index = await cache.aget(self.index_key) or []
            alive = await cache.aget_many([self._key(name) for name in index])
            kept = [name for name in index if self._key(name) in alive]
            kept.append(channel_name)
            await cache.aset(self.index_key, kept, INDEX_TTL)

    async def leave(self, channel_name: str) -> None:
        await cache.adelete(self._key(channel_name))

    async def members(self) -> dict[str, dict[str, Any]]:
        index: list[str] = await cache.aget(self.index_key) or []
        if not index:
            return {}
        alive = await cache.aget_many([self._key(name) for name in index])
        return {key.removeprefix(self.prefix): entry for key, entry in alive.items()}


AGENTS = Roster("chat:agents")


def _viewers(conversation_id: int) -> Roster:
    return Roster(f"chat:viewers:{conversation_id}")


async def agent_online(channel_name: str, user_id: int) -> None:
    await AGENTS.join(channel_name, {"user": user_id})


async def agent_offline(channel_name: str) -> None:
    await AGENTS.leave(channel_name)


async def agents_online() -> bool:
    return bool(await AGENTS.members())


async def viewing(conversation_id: int, channel_name: str, user_id: int, name: str) -> list[Any]:
    roster = _viewers(conversation_id)
    await roster.join(channel_name, {"id": user_id, "name": name})
    return viewers_of(await roster.members())


async def left(conversation_id: int, channel_name: str) -> list[Any]:
    roster = _viewers(conversation_id)
    await roster.leave(channel_name)
    return viewers_of(await roster.members())


def viewers_of(entries: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per person, however many tabs they have open."""
    people: dict[int, str] = {}
    for entry in entries.values():
        people[entry["id"]] = entry["name"]
    return [{"id": pk, "name": name} for pk, name in sorted(people.items())]
