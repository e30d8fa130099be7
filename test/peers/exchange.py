#!/usr/bin/env python3
"""Two-way exchange peer for TCP Lab's pcapng tests, deliberately not written in TypeScript.

Usage: exchange.py HOST SEND_BYTES SEED
Binds HOST port 0 and prints the port. For one client: sends SEND_BYTES bytes of a seeded
pseudo-random stream while reading everything the client sends until its FIN, then closes.
Prints one line "sent SHA256 received SHA256 LENGTH" and exits, so the test can check both
directions against bytes this peer saw itself.
"""
import hashlib
import random
import socket
import sys
import threading


def main():
    host, size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM)
    server.bind((host, 0))
    server.listen(1)
    print(server.getsockname()[1], flush=True)
    conn, _ = server.accept()
    payload = random.Random(seed).randbytes(size)

    def send_all():
        conn.sendall(payload)

    sender = threading.Thread(target=send_all)
    sender.start()
    received = hashlib.sha256()
    length = 0
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        received.update(chunk)
        length += len(chunk)
    sender.join()
    conn.close()
    server.close()
    print("sent", hashlib.sha256(payload).hexdigest(), "received", received.hexdigest(), length, flush=True)


if __name__ == "__main__":
    main()
