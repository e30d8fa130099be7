"""A TLS peer on Python's ssl module (OpenSSL through CPython, not node).

server CERT KEY [ALPN,...]      TLS echo server on 127.0.0.1:0; prints the port, echoes each session.
starttls CERT KEY               plain greeting "220 ready", waits for "STARTTLS", answers "220 go",
                                then TLS and echoes.
client PORT CAFILE SERVERNAME   connects with verification, prints "ok VERSION ALPN" and the echo of
                                "ping", or "error REASON".
Servers print their port first and exit when stdin closes.
"""
import socket
import ssl
import sys
import threading


def echo(conn):
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def serve(make_session):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    print(listener.getsockname()[1], flush=True)

    def accept_loop():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=make_session, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    sys.stdin.read()
    listener.close()


def context(cert, key, alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if alpn:
        ctx.set_alpn_protocols(alpn.split(","))
    return ctx


def main():
    mode = sys.argv[1]
    if mode == "server":
        ctx = context(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)

        def session(conn):
            try:
                echo(ctx.wrap_socket(conn, server_side=True))
            except (OSError, ssl.SSLError):
                conn.close()

        serve(session)
    elif mode == "starttls":
        ctx = context(sys.argv[2], sys.argv[3])

        def session(conn):
            try:
                conn.sendall(b"220 ready\r\n")
                line = b""
                while not line.endswith(b"\r\n"):
                    chunk = conn.recv(1)
                    if not chunk:
                        return
                    line += chunk
                if line.strip().upper() != b"STARTTLS":
                    conn.sendall(b"500 say STARTTLS\r\n")
                    return
                conn.sendall(b"220 go\r\n")
                echo(ctx.wrap_socket(conn, server_side=True))
            except (OSError, ssl.SSLError):
                conn.close()

        serve(session)
    elif mode == "client":
        port, cafile, name = int(sys.argv[2]), sys.argv[3], sys.argv[4]
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        try:
            with socket.create_connection(("127.0.0.1", port)) as raw:
                with ctx.wrap_socket(raw, server_hostname=name) as tls:
                    tls.sendall(b"ping")
                    data = tls.recv(4)
                    print("ok", tls.version(), tls.selected_alpn_protocol(), data.decode(), flush=True)
        except (OSError, ssl.SSLError) as err:
            print("error", getattr(err, "reason", None) or err, flush=True)


main()
