"""A receiver that sends its response head one byte per packet, run as its own process.

``python tests/receivers/drip_receiver.py`` prints its port on the first line, then answers every POST with
a 200 whose head carries an ``X-Drip`` header of ``?bytes=N`` bytes (default 1,000), each byte of the head
sent with its own ``send()`` (TCP_NODELAY), and prints ``dripped N`` once a head is out. It serves until its
stdin closes. Its own CPU time is not the client's: a separate process keeps the two apart.
"""

from __future__ import annotations

import socket
import sys
import threading
from urllib.parse import parse_qs, urlsplit

MAX_DRIP = 1_000_000  # bytes of one dripped header value, at most
_lock = threading.Lock()


def _read_request(connection: socket.socket) -> str | None:
    """The request's target, once the whole request (head and Content-Length body) is read; None at EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next((int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0)
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        body += chunk
    return lines[0].split(" ")[1]


def _serve(connection: socket.socket) -> None:
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with connection:
        while (target := _read_request(connection)) is not None:
            query = parse_qs(urlsplit(target).query)
            size = min(int(query.get("bytes", ["1000"])[0]), MAX_DRIP)
            head = b"HTTP/1.1 200 OK\r\nX-Drip: " + b"d" * size + b"\r\nContent-Length: 2\r\n\r\n"
            for index in range(len(head)):
                connection.sendall(head[index : index + 1])
            connection.sendall(b"ok")
            with _lock:
                print(f"dripped {size}", flush=True)


def main() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)

    def accept() -> None:
        while True:
            connection, _ = listener.accept()
            threading.Thread(target=_serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    sys.stdin.read()  # until the test closes our stdin (or dies, which closes it too)


if __name__ == "__main__":
    main()
