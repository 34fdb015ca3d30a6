#!/usr/bin/env python3
"""Sends one SIP OPTIONS over TCP and prints the status line of the final answer.

usage: sip_options.py HOST PORT TARGET [TIMEOUT [CALL_ID]]
       exit 0 on any final SIP answer, 1 on none

TARGET is the request-URI's [user@]host:port: the SBC's own listener address (the forward's
127.0.0.1 is not one of its addresses, and a request for elsewhere is routed, not answered).
CALL_ID (default: a random one) lets the caller find the request in the appliance's logs.

TCP because image/test reaches the appliance through QEMU's restricted user network, where
host forwards work for TCP but the guest's UDP replies are dropped (restrict=on drops all
UDP from the guest but DHCP).
"""
import random
import socket
import sys


def main() -> int:
    host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
    call_id = sys.argv[5] if len(sys.argv) > 5 else f"{random.getrandbits(64):016x}@image-test"
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        print(f"connect {host}:{port}: {e}", file=sys.stderr)
        return 1
    local_port = sock.getsockname()[1]
    branch = f"z9hG4bK{random.getrandbits(48):012x}"
    msg = (
        f"OPTIONS sip:{target} SIP/2.0\r\n"
        f"Via: SIP/2.0/TCP 127.0.0.1:{local_port};branch={branch};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:image-test@127.0.0.1>;tag={random.getrandbits(32):08x}\r\n"
        f"To: <sip:{target}>\r\n"
        f"Call-ID: {call_id}\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    sock.sendall(msg.encode())
    got = b""
    try:
        while len(got) < 65536:
            data = sock.recv(65535)
            if not data:
                break
            got += data
            for message in got.decode(errors="replace").split("\r\n\r\n"):
                status = message.split("\r\n", 1)[0]
                if call_id in message and status[8:9] in "23456":
                    print(status)
                    return 0
    except socket.timeout:
        pass
    print(f"no final answer from {host}:{port} within {timeout} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
