#!/usr/bin/env python3
"""Echo server that reports what each connection went through, deliberately not TypeScript.

Usage: witnessServer.py. Binds 127.0.0.1 port 0 and prints the port on the first line. Echoes
every byte back to each client. When a connection ends it prints one JSON line:
{"first_byte_ms": milliseconds from accept to the first byte (null if none), "bytes": received,
"end": "eof" | "reset"}, so a test sees faults from the server's side of a proxy. Exits when its
stdin closes, so the test runner owns its lifetime.
"""
import json
import socket
import sys
import threading
import time

lock = threading.Lock()


def serve_client(conn):
    accepted = time.monotonic()
    first = None
    received = 0
    end = "eof"
    with conn:
        while True:
            try:
                data = conn.recv(65536)
            except ConnectionResetError:
                end = "reset"
                break
            if not data:
                break
            if first is None:
                first = time.monotonic()
            received += len(data)
            try:
                conn.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                end = "reset"
                break
        if end == "eof":
            try:
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass
    report = {
        "first_byte_ms": None if first is None else round((first - accepted) * 1000),
        "bytes": received,
        "end": end,
    }
    with lock:
        print(json.dumps(report), flush=True)


def accept_loop(server):
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        threading.Thread(target=serve_client, args=(conn,), daemon=True).start()


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    print(server.getsockname()[1], flush=True)
    threading.Thread(target=accept_loop, args=(server,), daemon=True).start()
    sys.stdin.read()
    server.close()


if __name__ == "__main__":
    main()
