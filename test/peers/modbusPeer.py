#!/usr/bin/env python3
"""Modbus RTU-style peer for TCP Lab's checksum tests, with its own CRC-16/MODBUS (bitwise, as the
specification describes it), deliberately not sharing code with the extension.

Usage:
  modbusPeer.py server          Listens on 127.0.0.1, prints its port, reads 8-byte requests; for each
                                prints "ok <hex>" or "bad <hex>" and answers a good one with the
                                registers 42 and 43 (CRC appended). Exits when stdin closes.
  modbusPeer.py client PORT     Sends one request with a correct CRC and one with a corrupt CRC, reads
                                for a second, prints "reply ok|bad <hex>" per 9-byte reply, exits 0.
"""
import os
import select
import socket
import sys
import threading


def crc16_modbus(data):
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return bytes([crc & 0xFF, crc >> 8])


def valid(frame):
    return len(frame) > 2 and crc16_modbus(frame[:-2]) == frame[-2:]


def serve():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    print(server.getsockname()[1], flush=True)
    # The test ends the peer by closing stdin: never a kill by name.
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()

    def handle(conn):
        pending = b""
        with conn:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                pending += data
                while len(pending) >= 8:
                    frame, pending = pending[:8], pending[8:]
                    good = valid(frame)
                    print(("ok " if good else "bad ") + frame.hex(" "), flush=True)
                    if good:
                        body = bytes([frame[0], 0x03, 0x04, 0x00, 0x2A, 0x00, 0x2B])
                        conn.sendall(body + crc16_modbus(body))

    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def client(port):
    request = bytes([0x01, 0x03, 0x00, 0x0A, 0x00, 0x02])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request + crc16_modbus(request))
        conn.sendall(request + b"\x00\x00")
        received = b""
        while True:
            ready, _, _ = select.select([conn], [], [], 1.0)
            if not ready:
                break
            data = conn.recv(4096)
            if not data:
                break
            received += data
    for i in range(0, len(received), 9):
        reply = received[i:i + 9]
        print(("reply ok " if valid(reply) else "reply bad ") + reply.hex(" "), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve()
    else:
        client(int(sys.argv[2]))
