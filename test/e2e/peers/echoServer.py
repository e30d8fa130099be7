#!/usr/bin/env python3
"""An independent TCP echo server for the end-to-end tests.

Listens on 127.0.0.1 (port from argv, 0 = any free one), echoes every byte back, and reports
on stdout as JSON lines: the bound port, each accepted peer, every chunk received, each close.
Runs until stdin closes.
"""
import json
import socket
import sys
import threading

lock = threading.Lock()


def report(event, **fields):
    with lock:
        sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
        sys.stdout.flush()


def serve(conn, peer):
    how = "eof"
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            report("data", peer=peer, hex=data.hex())
            conn.sendall(data)
    except ConnectionResetError:
        how = "reset"
    except OSError as err:
        how = "error: %s" % err
    finally:
        conn.close()
    report("closed", peer=peer, how=how)


def accept_forever(server):
    while True:
        try:
            conn, address = server.accept()
        except OSError:
            return
        peer = address[1]
        report("accepted", peer=peer)
        threading.Thread(target=serve, args=(conn, peer), daemon=True).start()


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", port))
    server.listen(8)
    report("listening", port=server.getsockname()[1])
    threading.Thread(target=accept_forever, args=(server,), daemon=True).start()
    sys.stdin.read()
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
