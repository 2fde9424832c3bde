#!/usr/bin/env python3
"""How long the disk under DIR takes to make a small write durable, with no server running.

    server/bench/fsync_probe.py [--dir DIR] [--seconds S] [--rate N]

Writes 4 KiB and calls fdatasync() N times a second (default 58, the commit rate of the
1,000-display goal), the way hallq-server's journal commits: once appending to a growing file
(a WAL before its first checkpoint), once overwriting a file that already has its blocks (a WAL
that SQLite reuses). Prints the latency distribution of each. A commit cannot be faster than
this, and every call, ticket and display update waits for its commit, so a disk whose fdatasync
stalls for 100 ms a few times a minute puts those stalls into every latency percentile above
them (docs/benchmarks.md, goal 1).
"""
import argparse
import os
import tempfile
import time


def probe(directory, mode, seconds, rate):
    fd, path = tempfile.mkstemp(prefix="hallq-fsync-probe-", dir=directory)
    try:
        size = 4 << 20
        if mode == "overwrite":
            os.pwrite(fd, b"\0" * size, 0)
            os.fsync(fd)
        block = b"x" * 4096
        latencies = []
        offset = 0
        interval = 1.0 / rate
        end = time.monotonic() + seconds
        next_at = time.monotonic()
        while time.monotonic() < end:
            os.pwrite(fd, block, offset % size if mode == "overwrite" else offset)
            offset += len(block)
            started = time.perf_counter()
            os.fdatasync(fd)
            latencies.append((time.perf_counter() - started) * 1000)
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))
    finally:
        os.close(fd)
        os.unlink(path)
    latencies.sort()
    n = len(latencies)

    def pct(p):
        return latencies[min(n - 1, int(n * p))]

    over = lambda ms: sum(1 for x in latencies if x > ms)
    print(f"{mode:9s} {n:5d} syncs  p50 {pct(0.5):6.2f}  p99 {pct(0.99):7.2f}  max {latencies[-1]:7.1f} ms"
          f"  over 25 ms: {over(25)}  over 100 ms: {over(100)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default="/tmp", help="a directory on the disk to probe (default /tmp)")
    ap.add_argument("--seconds", type=float, default=60, help="how long each mode runs (default 60)")
    ap.add_argument("--rate", type=float, default=58, help="syncs per second (default 58)")
    a = ap.parse_args()
    if a.seconds <= 0 or a.rate <= 0:
        ap.error("--seconds and --rate must be positive")
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"fdatasync of 4 KiB writes in {a.dir}, {a.rate:g}/s for {a.seconds:g} s each (load average {' '.join(load)})")
    for mode in ("append", "overwrite"):
        probe(a.dir, mode, a.seconds, a.rate)


if __name__ == "__main__":
    main()
