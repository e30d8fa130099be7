#!/usr/bin/env python3
"""Client peer that stays connected, deliberately not written in TypeScript.

Usage: holdingClient.py host port message seconds. Connects, sends the UTF-8 message, then keeps
reading (without closing its side) for up to `seconds`. Prints one JSON line: {"received": text,
"end": "eof" | "reset" | "open", "ms": milliseconds from connect to that end}, and exits 0, so a
test sees how a connection ended from a client's side.
"""
import json
import socket
import sys
import time


def main():
    host, port, message, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    conn = socket.create_connection((host, port), timeout=10)
    started = time.monotonic()
    conn.sendall(message.encode("utf-8"))
    received = bytearray()
    end = "open"
    deadline = started + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        conn.settimeout(left)
        try:
            data = conn.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            end = "reset"
            break
        if not data:
            end = "eof"
            break
        received.extend(data)
    ms = round((time.monotonic() - started) * 1000)
    conn.close()
    print(json.dumps({"received": received.decode("utf-8", "replace"), "end": end, "ms": ms}), flush=True)


if __name__ == "__main__":
    main()
