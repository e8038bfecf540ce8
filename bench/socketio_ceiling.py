"""The ceiling of python-socketio's fan-out: one event to a room of 200 clients, as fast as it goes.

A plain script, not kpiwatch: a minimal python-socketio ``AsyncServer`` (ASGI) under uvicorn
with kpiwatch's settings (uvloop, httptools, the default WebSocket implementation, which
uvicorn picks as ``websockets-sansio`` when ``websockets`` is installed), in a process of
its own. ``--clients`` (200) Node clients speaking Engine.IO v4 over WebSocket with the
``ws`` package (from ``node_modules``, as ``socket.io-client`` uses) in one Node process:
they answer the handshake and pings and only count the event frames they get, so they
cost little. Every client is put in one room on connecting; when all are in, the server
emits a ``--size`` (1,024) byte event to the room, again and again for ``--seconds`` (5),
keeping at most two events per client queued so it measures sending, not queueing.

Printed per mode: frames delivered per second (counted by the clients, from the first
emit to the last frame arriving), the same as events per second to the whole room, and
the CPU the server and the clients used per frame. Every frame sent must arrive.

- ``socketio``: ``sio.emit(event, data, room=...)``, the call kpiwatch makes.
- ``fanout``: the same call with kpiwatch's ``FanOutManager`` (``realtime/fanout.py``), which
  queues the packet on each socket without a task per client.
- ``asgi``: the same frames written by a bare ASGI WebSocket app under the same uvicorn
  (a queue and a writer per connection, as Engine.IO has): uvicorn and the kernel alone,
  the floor python-socketio's own cost adds to.

    .venv/bin/python bench/socketio_ceiling.py [--mode socketio asgi] [--ws websockets-sansio]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from support import free_port

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")
MODES = ["socketio", "fanout", "asgi"]
BACKLOG = 2  # events queued per client before the emitter waits

CLIENTS_JS = r"""
const WebSocket = require('ws');
const [url, count] = [process.argv[1], Number(process.argv[2])];
let frames = 0, bytes = 0, joined = 0, last = 0;
for (let i = 0; i < count; i++) {
  const ws = new WebSocket(url, {perMessageDeflate: false});
  ws.on('message', (data) => {
    // Engine.IO v4 text packets: 0 open, 2 ping, 4 message; Socket.IO 40 connect, 42 event.
    if (data[0] === 0x34 && data[1] === 0x32) {
      frames++; bytes += data.length; last = Date.now();
    } else if (data[0] === 0x34 && data[1] === 0x30) {
      if (++joined === count) console.log('ready');
    } else if (data[0] === 0x30) {
      ws.send('40');
    } else if (data[0] === 0x32) {
      ws.send('3');
    }
  });
  ws.on('error', (e) => { console.error(String(e)); process.exit(1); });
}
process.stdin.resume();
process.stdin.on('end', () => {
  console.log(JSON.stringify({frames, bytes, last: last / 1000}));
  process.exit(0);
});
"""


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


# --- the server process ----------------------------------------------------------------------


class Blast:
    """Emit the event until ``seconds`` passed, then print what was sent (one JSON line)."""

    def __init__(self, clients: int, size: int, seconds: float) -> None:
        self.clients = clients
        self.seconds = seconds
        # A 1 KB event shaped like kpiwatch's: a dict of short fields and one long text.
        self.data = {"incidentId": "inc-2026-001", "note": "x" * max(0, size - 80)}

    async def run(self, emit: Any, queued: Any) -> None:
        start_wall, start_cpu = time.time(), time.process_time()
        events = 0
        while time.time() - start_wall < self.seconds:
            while queued() > BACKLOG * self.clients:
                await asyncio.sleep(0)
            await emit(self.data)
            events += 1
        while queued():
            await asyncio.sleep(0.001)
        report = {"events": events, "start": start_wall, "cpu": time.process_time() - start_cpu}
        print(json.dumps(report), flush=True)


def socketio_app(blast: Blast, manager: Any = None) -> Any:
    import socketio

    sio = socketio.AsyncServer(
        async_mode="asgi", client_manager=manager, logger=False, engineio_logger=False
    )
    connected = 0

    async def emit(data: dict[str, Any]) -> None:
        await sio.emit("incident-updated", data, room="incidents")

    def queued() -> int:
        return sum(s.queue.qsize() for s in sio.eio.sockets.values())

    @sio.on("connect")  # type: ignore[misc]
    async def _connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        nonlocal connected
        await sio.enter_room(sid, "incidents")
        connected += 1
        if connected == blast.clients:
            asyncio.get_running_loop().call_later(
                0.5, asyncio.ensure_future, blast.run(emit, queued)
            )

    return socketio.ASGIApp(sio, socketio_path="socket.io")


def asgi_app(blast: Blast) -> Any:
    """A bare ASGI WebSocket app: a queue and a writer per connection, frames encoded once."""
    queues: list[asyncio.Queue[str]] = []

    async def emit(data: dict[str, Any]) -> None:
        frame = "42" + json.dumps(["incident-updated", data], separators=(",", ":"))
        for queue in queues:
            queue.put_nowait(frame)

    def queued() -> int:
        return sum(q.qsize() for q in queues)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "40"})
        queue: asyncio.Queue[str] = asyncio.Queue()
        queues.append(queue)
        if len(queues) == blast.clients:
            asyncio.get_running_loop().call_later(
                0.5, asyncio.ensure_future, blast.run(emit, queued)
            )
        while True:
            await send({"type": "websocket.send", "text": await queue.get()})

    return app


def server_main(mode: str, ws: str, port: int, clients: int, size: int, seconds: float) -> None:
    import uvicorn

    blast = Blast(clients, size, seconds)
    if mode == "socketio":
        app = socketio_app(blast)
    elif mode == "fanout":
        from kpiwatch.realtime.fanout import FanOutManager

        app = socketio_app(blast, FanOutManager())
    else:
        app = asgi_app(blast)
    uvicorn.run(app, host="127.0.0.1", port=port, ws=ws, log_level="warning", access_log=False)


# --- the driver --------------------------------------------------------------------------------


def wait_for_port(port: int, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while server.poll() is None and time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the server did not start")


def measure(mode: str, ws: str, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    me = [sys.executable, __file__, "_server", mode, ws, str(port)]
    sizes = [str(args.clients), str(args.size), str(args.seconds)]
    server = subprocess.Popen([*me, *sizes], stdout=subprocess.PIPE, text=True)
    wait_for_port(port, server)
    url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
    env = os.environ | {"NODE_PATH": str(ROOT / "node_modules")}
    node = subprocess.Popen(
        ["node", "-e", CLIENTS_JS, url, str(args.clients)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert node.stdout is not None and server.stdout is not None
        if node.stdout.readline().strip() != "ready":
            raise RuntimeError("the clients did not connect")
        node_cpu = cpu_s(node.pid)
        sent = json.loads(server.stdout.readline())
        time.sleep(1.0)  # the last frames in flight
        node_cpu = cpu_s(node.pid) - node_cpu
        got = json.loads(node.communicate("", timeout=30)[0].strip().splitlines()[-1])
    finally:
        node.kill()
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:  # uvicorn waits for open WebSockets to end
            server.kill()
            server.wait()
    frames = sent["events"] * args.clients
    if got["frames"] != frames:
        raise RuntimeError(f"{frames} frames sent, {got['frames']} arrived")
    seconds = got["last"] - sent["start"]
    return {
        "mode": mode,
        "ws": ws,
        "events/s to the room": round(sent["events"] / seconds, 1),
        "frames/s": round(frames / seconds),
        "frame bytes": got["bytes"] // frames,
        "server CPU µs/frame": round(sent["cpu"] * 1e6 / frames, 1),
        "server CPU s per s": round(sent["cpu"] / seconds, 2),
        "clients CPU µs/frame": round(node_cpu * 1e6 / frames, 1),
        "load": load(),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_server":
        mode, ws, port, clients, size, seconds = sys.argv[2:8]
        server_main(mode, ws, int(port), int(clients), int(size), float(seconds))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", nargs="+", choices=MODES, default=MODES)
    parser.add_argument(
        "--ws",
        nargs="+",
        default=["websockets-sansio"],
        choices=["websockets-sansio", "websockets", "wsproto"],
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(f"{os.uname().machine}, {os.cpu_count()} cores; {load()}", flush=True)
    for mode in args.mode:
        for ws in args.ws:
            print(json.dumps(measure(mode, ws, args), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
