#!/usr/bin/env python3
"""An RTP peer that keys DTMF, for the sbc-lab DTMF tests, run inside a lab namespace.

  dtmf_rtp.py --bind IP:PORT --to IP:PORT --out FILE [--pt 8] [--seconds S]
              [--events DIGITS --event-pt PT] [--tones DIGITS] [--start S]

Sends 20 ms G.711 packets (payload type --pt, A-law for 8, u-law for 0) for --seconds to
--to. From --start seconds on it keys each digit of DIGITS for 100 ms, 200 ms apart:
--events as RFC 4733 telephone-events at --event-pt (marker on the first packet, one
timestamp per digit, duration growing by 160 per packet, three end packets; audio
suppressed meanwhile), --tones as ITU-T Q.23 dual tones in the audio. Every RTP packet
received is recorded, one line each, into FILE once it is done:

  <pt> <marker 0|1> <seq> <timestamp> <payload hex>

(written to FILE.tmp, then renamed: the test waits for FILE).
"""

import argparse
import math
import os
import select
import socket
import struct
import time

KEYS = {
    "1": (697, 1209), "2": (697, 1336), "3": (697, 1477), "A": (697, 1633),
    "4": (770, 1209), "5": (770, 1336), "6": (770, 1477), "B": (770, 1633),
    "7": (852, 1209), "8": (852, 1336), "9": (852, 1477), "C": (852, 1633),
    "*": (941, 1209), "0": (941, 1336), "#": (941, 1477), "D": (941, 1633),
}
CODES = "0123456789*#ABCD"


def alaw(sample):
    mask = 0xD5 if sample >= 0 else 0x55
    m = sample if sample >= 0 else -sample - 1
    m = min(m, 32767) >> 3
    if m < 32:
        code = m >> 1
    else:
        seg = m.bit_length() - 5
        code = (seg << 4) | ((m >> seg) & 0x0F)
    return code ^ mask


def ulaw(sample):
    sign = 0x80 if sample < 0 else 0
    m = min(abs(sample), 32635) + 0x84
    seg = m.bit_length() - 8
    return ~(sign | (seg << 4) | ((m >> (seg + 3)) & 0x0F)) & 0xFF


def parse_addr(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--pt", type=int, default=8)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--start", type=float, default=1.0)
    p.add_argument("--events", default="")
    p.add_argument("--event-pt", type=int, default=101)
    p.add_argument("--tones", default="")
    args = p.parse_args()

    encode = alaw if args.pt == 8 else ulaw
    silence = bytes([encode(0)]) * 160
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(parse_addr(args.bind))
    sock.setblocking(False)
    to = parse_addr(args.to)
    ssrc, seq, ts = 0xD7F00001, 1000, 80000
    received = []

    # What each 20 ms frame carries: (kind, digit, index within the digit).
    frames = int(args.seconds * 50)
    plan = [None] * frames
    keyed = args.events or args.tones
    for i, digit in enumerate(keyed):
        first = int(args.start * 50) + i * 15  # 100 ms digit, 200 ms pause
        for k in range(5):
            if first + k < frames:
                plan[first + k] = (digit, k, first)

    def drain(until):
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                return
            try:
                data, _ = sock.recvfrom(4096)
            except BlockingIOError:
                continue
            if len(data) >= 12 and data[0] >> 6 == 2:
                pt = data[1] & 0x7F
                marker = data[1] >> 7
                rseq, rts = struct.unpack_from(">HI", data, 2)
                received.append("%d %d %d %d %s" % (pt, marker, rseq, rts, data[12:].hex()))

    next_send = time.monotonic()
    for f in range(frames):
        step = plan[f]
        packets = []
        if step and args.events:
            digit, k, first = step
            event_ts = ts - (f - first) * 160
            code = CODES.index(digit)
            end = k == 4
            payload = struct.pack(">BBH", code, (0x80 if end else 0) | 10, (k + 1) * 160)
            for _ in range(3 if end else 1):
                head = struct.pack(">BBHII", 0x80, (0x80 if k == 0 else 0) | args.event_pt, seq, event_ts, ssrc)
                packets.append(head + payload)
                seq = (seq + 1) & 0xFFFF
        else:
            payload = silence
            if step and args.tones:
                digit, k, first = step
                low, high = KEYS[digit]
                base = (f - first) * 160
                payload = bytes(
                    encode(int(7000 * math.sin(2 * math.pi * low * (base + n) / 8000)
                               + 9000 * math.sin(2 * math.pi * high * (base + n) / 8000)))
                    for n in range(160))
            head = struct.pack(">BBHII", 0x80, args.pt, seq, ts, ssrc)
            packets.append(head + payload)
            seq = (seq + 1) & 0xFFFF
        for pkt in packets:
            try:
                sock.sendto(pkt, to)
            except OSError:
                pass
        ts = (ts + 160) & 0xFFFFFFFF
        next_send += 0.02
        drain(next_send)
    drain(time.monotonic() + 1.0)
    with open(args.out + ".tmp", "w") as out:
        out.write("\n".join(received) + "\n")
    os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
