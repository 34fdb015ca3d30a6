#!/usr/bin/env python3
"""A tiny RTP peer for the sbc-lab media tests, run inside a lab namespace.

  rtp.py --bind IP:PORT --to IP:PORT [--count N] [--interval-ms MS] [--delay S] [--wait S]
         [--ssrc HEX] --out FILE

Binds IP:PORT (the address its own SDP announced; RTCP is not sent), waits DELAY seconds,
then sends COUNT RTP packets (version 2, PCMU, 160-byte payload, sequence numbers from 1,
timestamps +160) to --to (the address the other side's SDP said), one every MS
milliseconds, while counting what arrives. It keeps reading until WAIT seconds after the
last send, then writes a JSON object to FILE:

  {"sent": N, "received": N, "rtp": N, "sources": ["IP:PORT", ...], "ssrcs": ["hex", ...],
   "first_seq": N, "last_seq": N}

where `received` counts every datagram, `rtp` those that parse as RTP version 2, and
`sources` lists where they came from (the SBC, if it anchors media). `runs` lists the RTP
received as runs of one SSRC in arrival order, `[["hex", count], ...]`: a switch from one
sender to another and back shows as three runs.

sipp starts it from a scenario's <exec command=...> once the SDP of the other side is known,
so it runs in the background of the call.
"""

import argparse
import json
import select
import socket
import struct
import time


def parse_addr(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def packet(seq, ssrc):
    header = struct.pack(">BBHII", 0x80, 0, seq & 0xFFFF, (seq * 160) & 0xFFFFFFFF, ssrc)
    return header + bytes([0xFF]) * 160


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--interval-ms", type=int, default=20)
    p.add_argument("--delay", type=float, default=0.2)
    p.add_argument("--wait", type=float, default=1.5)
    p.add_argument("--ssrc", default="5eed0001")
    p.add_argument("--out", required=True)
    args = p.parse_args()

    bind = parse_addr(args.bind)
    to = parse_addr(args.to)
    family = socket.AF_INET6 if ":" in bind[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(bind)
    sock.setblocking(False)
    ssrc = int(args.ssrc, 16)

    result = {"sent": 0, "received": 0, "rtp": 0, "sources": [], "ssrcs": [],
              "first_seq": None, "last_seq": None, "errors": [], "runs": []}

    def drain(until):
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                return
            try:
                data, src = sock.recvfrom(4096)
            except BlockingIOError:
                continue
            result["received"] += 1
            source = "%s:%d" % (src[0], src[1])
            if source not in result["sources"]:
                result["sources"].append(source)
            if len(data) >= 12 and data[0] >> 6 == 2:
                result["rtp"] += 1
                seq = struct.unpack_from(">H", data, 2)[0]
                their = "%08x" % struct.unpack_from(">I", data, 8)[0]
                if their not in result["ssrcs"]:
                    result["ssrcs"].append(their)
                runs = result["runs"]
                if runs and runs[-1][0] == their:
                    runs[-1][1] += 1
                else:
                    runs.append([their, 1])
                if result["first_seq"] is None:
                    result["first_seq"] = seq
                result["last_seq"] = seq

    drain(time.monotonic() + args.delay)
    interval = args.interval_ms / 1000.0
    next_send = time.monotonic()
    for seq in range(1, args.count + 1):
        try:
            sock.sendto(packet(seq, ssrc), to)
            result["sent"] += 1
        except OSError as e:
            result["errors"].append(str(e))
        next_send += interval
        drain(next_send)
    drain(time.monotonic() + args.wait)

    with open(args.out + ".tmp", "w") as f:
        json.dump(result, f)
    # Atomic: the test waits for the file to appear.
    import os
    os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
