#!/usr/bin/env python3
"""A Modbus RTU-style server for the end-to-end tests, with its own CRC-16/MODBUS (bitwise, as the
specification describes it), sharing no code with the extension.

Listens on 127.0.0.1 (port from argv, 0 = any free one) and reads 8-byte requests. Reports on stdout
as JSON lines: the bound port, every chunk received ("data"), and for each request whether its CRC
was right ("frame", how "crc ok" or "crc bad"). Answers a good request with registers 42 and 43,
CRC appended; ignores a bad one, as a device does. Runs until stdin closes.
"""
import json
import os
import socket
import sys
import threading

lock = threading.Lock()


def report(event, **fields):
    with lock:
        sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
        sys.stdout.flush()


def crc16_modbus(data):
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return bytes([crc & 0xFF, crc >> 8])


def serve(conn):
    pending = b""
    with conn:
        while True:
            data = conn.recv(4096)
            if not data:
                return
            report("data", hex=data.hex())
            pending += data
            while len(pending) >= 8:
                frame, pending = pending[:8], pending[8:]
                good = crc16_modbus(frame[:-2]) == frame[-2:]
                report("frame", hex=frame.hex(), how="crc ok" if good else "crc bad")
                if good:
                    body = bytes([frame[0], 0x03, 0x04, 0x00, 0x2A, 0x00, 0x2B])
                    conn.sendall(body + crc16_modbus(body))


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    server.listen(8)
    report("listening", port=server.getsockname()[1])
    # Closing stdin ends the peer: the test never kills by name.
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
