#!/usr/bin/env python3
"""A flooding client peer for the bounded-memory tests, deliberately not written in TypeScript.

Usage: flooder.py host port file [hold]. Connects, sends the file with sendfile() (as fast as the
kernel takes it), then half-closes (FIN) and prints {"sent": N}. Meanwhile it reads and hashes
everything the server sends until the server closes, then prints {"received": N, "sha256": "..."}.
With "hold" it does not read at all until a line arrives on stdin, so the server's replies pile up
on its side. Exits when done or when stdin closes.
"""
import hashlib
import json
import os
import socket
import sys
import threading


def send_all(conn, path):
    with open(path, "rb") as f:
        sent = conn.sendfile(f)
    conn.shutdown(socket.SHUT_WR)
    print(json.dumps({"sent": sent}), flush=True)


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    hold = len(sys.argv) > 4 and sys.argv[4] == "hold"
    conn = socket.create_connection((host, port))
    sender = threading.Thread(target=send_all, args=(conn, path), daemon=True)
    sender.start()
    if hold and not sys.stdin.readline():
        os._exit(0)
    if not hold:
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    digest = hashlib.sha256()
    received = 0
    while True:
        data = conn.recv(1 << 20)
        if not data:
            break
        digest.update(data)
        received += len(data)
    sender.join()
    conn.close()
    print(json.dumps({"received": received, "sha256": digest.hexdigest()}), flush=True)


if __name__ == "__main__":
    main()
