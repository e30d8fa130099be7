#!/usr/bin/env python3
"""Client peer for TCP Lab's tests, deliberately not written in TypeScript.

Usage: client.py host port message. Connects, sends the UTF-8 message, half-closes (FIN), then
writes everything it receives until the server closes to stdout, and exits 0.
"""
import socket
import sys


def main():
    host, port, message = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(message.encode("utf-8"))
        conn.shutdown(socket.SHUT_WR)
        received = bytearray()
        while True:
            data = conn.recv(65536)
            if not data:
                break
            received.extend(data)
    sys.stdout.buffer.write(bytes(received))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
