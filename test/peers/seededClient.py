#!/usr/bin/env python3
"""Two-way client peer for TCP Lab's proxy tests, deliberately not written in TypeScript.

Usage: seededClient.py HOST PORT SEND_BYTES SEED
Connects, sends SEND_BYTES bytes of a seeded pseudo-random stream and then FIN, while reading
everything the server sends until it closes. Prints one line "sent SHA256 received SHA256 LENGTH",
so the test can check both directions against bytes this peer saw itself.
"""
import hashlib
import random
import socket
import sys
import threading


def main():
    host, port, size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    payload = random.Random(seed).randbytes(size)
    with socket.create_connection((host, port), timeout=20) as conn:

        def send_all():
            conn.sendall(payload)
            conn.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send_all)
        sender.start()
        received = hashlib.sha256()
        length = 0
        while True:
            data = conn.recv(65536)
            if not data:
                break
            received.update(data)
            length += len(data)
        sender.join()
    print("sent", hashlib.sha256(payload).hexdigest(), "received", received.hexdigest(), length, flush=True)


if __name__ == "__main__":
    main()
