#!/usr/bin/env python3
"""A Modbus/TCP device in miniature for TCP Lab's pcapng tests, deliberately not written in TypeScript.

Usage: modbusDevice.py HOST   Binds HOST port 0, prints the port, serves one client: answers each
Read Holding Registers request (function 3) with registers whose values are their addresses, and
closes when the client does. Any other function gets exception 1 (illegal function).
"""
import socket
import struct
import sys


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def main():
    host = sys.argv[1]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM)
    server.bind((host, 0))
    server.listen(1)
    print(server.getsockname()[1], flush=True)
    conn, _ = server.accept()
    with conn:
        while True:
            header = read_exact(conn, 7)
            if header is None:
                break
            transaction, protocol, length, unit = struct.unpack(">HHHB", header)
            pdu = read_exact(conn, length - 1)
            if pdu is None:
                break
            function = pdu[0]
            if function == 3:
                start, count = struct.unpack(">HH", pdu[1:5])
                values = b"".join(struct.pack(">H", start + i) for i in range(count))
                reply = bytes([3, len(values)]) + values
            else:
                reply = bytes([function | 0x80, 1])
            conn.sendall(struct.pack(">HHHB", transaction, protocol, len(reply) + 1, unit) + reply)
    server.close()


if __name__ == "__main__":
    main()
