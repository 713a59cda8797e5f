"""Benchmark: web chat message latency, visitor socket → agent socket, through daphne and
the Redis channel layer.

    python bench/chat.py [--visitors 200] [--interval 2.0] [--seconds 20] [--rounds 3]
                         [--database-url postgres://postgres@127.0.0.1:5432/pv_chat_bench]
                         [--redis-url redis://127.0.0.1:6379/8] [--servers 2]

The database must be a scratch one: it is dropped and recreated. `--servers` daphne
processes (as `peyvand serve` runs them) share the Redis channel layer; visitors are spread
over them, the agent's socket is on the first. Each visitor opens the widget's socket
(`ws/chat/<key>/`), says hello once (not timed: it opens the conversation), then sends a
line every `--interval` seconds (jittered) for `--seconds`. The agent is a signed-in
manager on `ws/inbox/`. Latency = the agent socket receiving the line's activity event −
the visitor socket sending it (both clients in this process, one monotonic clock): it
includes the consumer, storing the message (receive_message), the commit, the channel
layer and the agent consumer's visibility check.

Reference, in the same run and the same servers, rounds interleaved: a bare echo consumer
(bench/chat_asgi.py) that forwards each frame over the same channel layer to a listening
socket — the same sockets, processes and Redis with no database or Django service.
Prints the table rows: workload | size | figure | reference | ratio and writes
bench/results/chat.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_CHAT_PORT", "8155"))


def _recreate(database_url: str) -> None:
    import psycopg

    base, _sep, name = database_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _env(database_url: str, redis_url: str, data_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        PEYVAND_DATA_DIR=data_dir,
        PEYVAND_SECRET_KEY=secrets.token_urlsafe(32),
        DJANGO_SETTINGS_MODULE="peyvand.config.settings",
        PEYVAND_LOG_LEVEL="ERROR",
        # Channels runs every database call of a consumer on one thread per process, so
        # persistent connections stay at one per process (see settings.py).
        PEYVAND_DB_CONN_MAX_AGE="60",
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT / "bench")]),
    )
    return env


def _prepare(env: dict[str, str]) -> tuple[str, str]:
    """Migrate, create the personas and a widget; returns (widget key, agent session id)."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from peyvand.access.defaults import ensure_departments_and_roles, ensure_persona
    from peyvand.access.models import Department
    from peyvand.channels.chat.models import ChatWidget
    from peyvand.channels.chat.services import save_widget

    ensure_departments_and_roles()
    manager = ensure_persona("manager", "bench-password-123")
    widget = save_widget(
        ChatWidget(name="Bench", department=Department.objects.get(code="service")),
        origins=["https://shop.example"],
        actor=manager,
    )
    session = SessionStore()
    session[SESSION_KEY] = str(manager.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = manager.get_session_auth_hash()
    session.create()
    return widget.key, str(session.session_key)


def _start_servers(env: dict[str, str], count: int) -> list[subprocess.Popen[bytes]]:
    servers = []
    for index in range(count):
        servers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(PORT + index),
                    "-v",
                    "0",
                    "chat_asgi:application",
                ],
                env=env,
                cwd=str(ROOT),
            )
        )
    return servers


async def _wait_for_port(port: int, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"daphne did not listen on {port}") from None
            await asyncio.sleep(0.3)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _round(
    *, product: bool, key: str, session: str, args: argparse.Namespace
) -> tuple[list[float], int]:
    """One round: `args.visitors` sockets talking for `args.seconds`; returns the latencies
    (ms) and how many lines never arrived."""
    from websockets.asyncio.client import connect

    ports = [PORT + i for i in range(args.servers)]
    sent: dict[str, float] = {}
    latencies: list[float] = []
    if product:
        agent = await connect(
            f"ws://127.0.0.1:{ports[0]}/ws/inbox/",
            # Staff sockets need Origin to name the same host and port as Host.
            origin=f"http://127.0.0.1:{ports[0]}",  # type: ignore[arg-type]
            additional_headers={"Cookie": f"sessionid={session}"},
            max_queue=None,
        )
    else:
        agent = await connect(f"ws://127.0.0.1:{ports[0]}/ws/bench/listen/", max_queue=None)

    seen: dict[str, int] = {}
    errors: list[str] = []

    async def listen() -> None:
        async for frame in agent:
            now = time.perf_counter()
            data = json.loads(frame)
            seen[str(data.get("type"))] = seen.get(str(data.get("type")), 0) + 1
            if product:
                if data.get("type") != "activity":
                    continue
                client = data["message"]["client"]
            else:
                client = data.get("id")
            if client in sent:
                latencies.append((now - sent.pop(client)) * 1000)

    listener = asyncio.create_task(listen())

    # daphne's listen backlog is 50: open the sockets a few at a time, then all talk at once.
    opening = asyncio.Semaphore(10)
    everyone_open = asyncio.Event()
    opened = [0]

    async def visitor(index: int) -> None:
        port = ports[index % len(ports)]
        async with opening:
            socket = await _open(index, port)
        opened[0] += 1
        if opened[0] == args.visitors:
            everyone_open.set()
        await everyone_open.wait()
        await _talk(index, socket)

    async def _open(index: int, port: int) -> Any:
        if product:
            url = f"ws://127.0.0.1:{port}/ws/chat/{key}/?visitor={uuid.uuid4().hex}&lang=en"
            socket = await connect(url, origin="https://shop.example", max_queue=None)  # type: ignore[arg-type]
            await socket.recv()  # hello
            await socket.send(json.dumps({"type": "message", "id": "hello", "body": "Hello"}))
            ack = json.loads(await socket.recv())  # the conversation exists now
            if ack.get("type") != "ack":
                errors.append(str(ack))
        else:
            socket = await connect(f"ws://127.0.0.1:{port}/ws/bench/send/", max_queue=None)
        return socket

    async def _talk(index: int, socket: Any) -> None:
        drain = asyncio.create_task(_drain(socket))
        await asyncio.sleep(random.uniform(0, args.interval))
        deadline = time.perf_counter() + args.seconds
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            client = f"{index}-{n}"
            frame = {"type": "message", "id": client, "body": f"Line {n} from visitor {index}"}
            sent[client] = time.perf_counter()
            await socket.send(json.dumps(frame))
            await asyncio.sleep(args.interval * random.uniform(0.5, 1.5))
        await asyncio.sleep(2)
        drain.cancel()
        await socket.close()

    await asyncio.gather(*(visitor(i) for i in range(args.visitors)))
    await asyncio.sleep(1)
    listener.cancel()
    await agent.close()
    if not latencies:
        raise RuntimeError(f"no line reached the agent; agent frames by type: {seen}, {errors}")
    return latencies, len(sent)


async def _drain(socket: Any) -> None:
    async for _frame in socket:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/pv_chat_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    args = parser.parse_args()
    # A SIGTERM (timeout, Ctrl-C from a wrapper) still stops the servers in `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    _recreate(args.database_url)
    data_dir = tempfile.mkdtemp(prefix="pv-chat-bench-")
    env = _env(args.database_url, args.redis_url, data_dir)
    key, session = _prepare(env)
    print("database ready; starting daphne", file=sys.stderr, flush=True)
    servers = _start_servers(env, args.servers)
    load = os.getloadavg()
    rows: list[str] = []
    try:
        for index in range(args.servers):
            asyncio.run(_wait_for_port(PORT + index))
        product_rounds: list[tuple[float, float, int, int]] = []
        reference_rounds: list[tuple[float, float, int, int]] = []
        for number in range(1, args.rounds + 1):
            for product in (True, False):
                latencies, lost = asyncio.run(
                    _round(product=product, key=key, session=session, args=args)
                )
                figures = (
                    statistics.median(latencies),
                    _percentile(latencies, 0.95),
                    len(latencies),
                    lost,
                )
                (product_rounds if product else reference_rounds).append(figures)
                label = "chat" if product else "echo"
                rows.append(
                    f"round {number}: {label} median {figures[0]:.1f} ms, p95 {figures[1]:.1f} ms,"
                    f" {figures[2]} lines, {figures[3]} lost"
                )
                print(rows[-1], file=sys.stderr, flush=True)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
    p95 = statistics.median(r[1] for r in product_rounds)
    ref_p95 = statistics.median(r[1] for r in reference_rounds)
    median = statistics.median(r[0] for r in product_rounds)
    ref_median = statistics.median(r[0] for r in reference_rounds)
    lines = sum(r[2] for r in product_rounds)
    lost = sum(r[3] for r in product_rounds)
    size = (
        f"{args.visitors} visitors, a line each {args.interval:g} s, {args.seconds:g} s × "
        f"{args.rounds} rounds, {args.servers} daphne + Redis layer"
    )
    table = [
        "| workload | size | figure | reference: bare echo consumer over the same layer | ratio |",
        "|---|---|---|---|---|",
        f"| chat latency visitor → agent, p95 | {size} | {p95:.1f} ms | {ref_p95:.1f} ms | {p95 / ref_p95:.2f} |",
        f"| chat latency visitor → agent, median | {size} | {median:.1f} ms | {ref_median:.1f} ms | {median / ref_median:.2f} |",
    ]
    header = (
        f"# Web chat latency (bench/chat.py, {time.strftime('%Y-%m-%d')}, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} shared cores)"
    )
    text = "\n".join(
        [
            header,
            "",
            *table,
            "",
            f"{lines} lines timed, {lost} lost.",
            "",
            "Rounds:",
            "```",
            *rows,
            "```",
            "",
        ]
    )
    print(text)
    (ROOT / "bench" / "results" / "chat.md").write_text(text)
    _recreate_drop(args.database_url)


def _recreate_drop(database_url: str) -> None:
    import psycopg

    base, _sep, name = database_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
