#!/usr/bin/env python3
"""Tiny network peer for the sbc-lab harness, run inside a lab namespace via `ip netns exec`.

The test process lives in the root namespace and cannot open sockets in the lab, so this
script does it. Payloads come from a frames file (each frame: 4-byte big-endian length, then
that many bytes). Results go to stdout as lines parsed by tests/src/netio.rs.

  netio.py udp --to IP:PORT [--bind IP:PORT] --frames FILE [--interval-ms N] [--wait S] [--first]
      Sends every frame as one datagram, reading replies meanwhile; then keeps reading until
      WAIT seconds after the last send (with --first: until the first reply).
      Prints "reply IP:PORT HEX" per datagram received, then "done".

  netio.py tcp --to IP:PORT [--bind IP:PORT] --frames FILE [--flood FILE --flood-max N] [--wait S]
      Connects, writes every frame, then (with --flood) writes the flood chunk again and again
      until N bytes are sent or the connection breaks, reading meanwhile; then reads until the
      peer closes or WAIT seconds pass. Prints "sent N", "end E" and "reply HEX" (all bytes
      received), where E is: closed (peer sent FIN), reset (RST / broken pipe), open (still
      connected at the end), stalled (peer stopped reading and stayed connected), refused.

  netio.py tls --to IP:PORT --ca FILE [--server-name NAME] [same options as tcp]
      Like tcp, over TLS: the server's certificate must verify against the CA bundle FILE and
      carry NAME (default: the IP of --to, as an IP SAN). A failed handshake ends with
      "end tls-failed" and an "error TEXT" line.
"""

import argparse
import select
import socket
import ssl
import struct
import sys
import time


def parse_addr(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def read_frames(path):
    frames = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        pos += 4
        frames.append(data[pos : pos + length])
        pos += length
    return frames


def udp(args):
    to = parse_addr(args.to)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if args.bind:
        sock.bind(parse_addr(args.bind))
    replies = []

    def drain():
        while True:
            try:
                data, src = sock.recvfrom(65535, socket.MSG_DONTWAIT)
            except (BlockingIOError, ConnectionRefusedError):
                return
            replies.append((src, data))

    for frame in read_frames(args.frames):
        while True:
            try:
                sock.sendto(frame, to)
                break
            except (BlockingIOError, OSError) as e:
                if getattr(e, "errno", None) not in (11, 105):  # EAGAIN, ENOBUFS
                    raise
                time.sleep(0.001)
        drain()
        if args.interval_ms:
            time.sleep(args.interval_ms / 1000.0)

    deadline = time.monotonic() + args.wait
    while not (args.first and replies):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        ready, _, _ = select.select([sock], [], [], remaining)
        if ready:
            drain()
    for (host, port), data in replies:
        print(f"reply {host}:{port} {data.hex()}")
    print("done")


def tls_wrap(sock, args):
    """The TLS client side of `sock`, verified against --ca; raises on a failed handshake."""
    context = ssl.create_default_context(cafile=args.ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    name = args.server_name or parse_addr(args.to)[0]
    return context.wrap_socket(sock, server_hostname=name)


def readable(sock):
    """Whether a read would not block (TLS may hold decrypted bytes the fd does not show)."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    ready, _, _ = select.select([sock], [], [], 0)
    return bool(ready)


def tcp(args, tls=False):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if args.bind:
        sock.bind(parse_addr(args.bind))
    sock.settimeout(args.wait)
    received = bytearray()
    sent = 0
    end = None
    try:
        sock.connect(parse_addr(args.to))
    except (ConnectionRefusedError, socket.timeout, OSError):
        end = "refused"
    if end is None and tls:
        try:
            sock = tls_wrap(sock, args)
        except (ssl.SSLError, ssl.CertificateError, OSError) as e:
            end = "tls-failed"
            print(f"error {e}")

    def drain():
        """Reads what is available; returns 'closed'/'reset' if the peer went away."""
        # A readable TLS socket may hold only records without application data (session
        # tickets): read without blocking, or recv would wait for data that never comes.
        sock.settimeout(0)
        try:
            while True:
                if not readable(sock):
                    return None
                try:
                    chunk = sock.recv(65536)
                except (ssl.SSLWantReadError, BlockingIOError):
                    return None
                except (ConnectionResetError, ssl.SSLError):
                    return "reset"
                if not chunk:
                    return "closed"
                received.extend(chunk)
        finally:
            sock.settimeout(args.wait)

    if end is None:
        flood = b""
        if args.flood:
            with open(args.flood, "rb") as f:
                flood = f.read()
        try:
            for frame in read_frames(args.frames):
                sock.sendall(frame)
                sent += len(frame)
                end = drain()
                if end:
                    break
            while end is None and flood and sent < args.flood_max:
                sock.sendall(flood)
                sent += len(flood)
                end = drain()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            end = "reset"
        except socket.timeout:
            end = "stalled"

    if end in (None, "stalled"):
        deadline = time.monotonic() + args.wait
        final = "open" if end is None else end
        end = None
        while end is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                end = final
                break
            if isinstance(sock, ssl.SSLSocket) and sock.pending():
                ready = True
            else:
                ready, _, _ = select.select([sock], [], [], remaining)
            if ready:
                end = drain()
    sock.close()
    print(f"sent {sent}")
    print(f"end {end}")
    print(f"reply {bytes(received).hex()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    for mode in ("udp", "tcp", "tls"):
        p = sub.add_parser(mode)
        p.add_argument("--to", required=True)
        p.add_argument("--bind")
        p.add_argument("--frames", required=True)
        p.add_argument("--wait", type=float, default=2.0)
        if mode == "udp":
            p.add_argument("--interval-ms", type=float, default=0.0)
            p.add_argument("--first", action="store_true")
        else:
            p.add_argument("--flood")
            p.add_argument("--flood-max", type=int, default=0)
        if mode == "tls":
            p.add_argument("--ca", required=True)
            p.add_argument("--server-name")
    args = parser.parse_args()
    if args.mode == "udp":
        udp(args)
    else:
        tcp(args, tls=args.mode == "tls")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
