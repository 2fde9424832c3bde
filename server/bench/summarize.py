#!/usr/bin/env python3
"""Prints the numbers docs/benchmarks.md tabulates, one line per report, from hallq-bench --json
reports (as run_goals.sh leaves them).

  server/bench/summarize.py DIR [DIR...]
"""
import json
import os
import sys


def get(r, *path, default=None):
    for p in path:
        if not isinstance(r, dict) or p not in r:
            return default
        r = r[p]
    return r


def lat(r, *path):
    v = get(r, *path)
    if not v or not v.get("count"):
        return "-"
    return "p50 %.1f / p99 %.1f / max %.1f" % (v["p50"], v["p99"], v["max"])


def slow_commits(r):
    b = get(r, "server", "metrics_delta", "commit_seconds_cumulative") or {}
    if not b:
        return "-"
    total = b.get("+Inf", 0)
    return "%d > 25 ms, %d > 100 ms" % (total - b.get("0.025000", 0), total - b.get("0.100000", 0))


def main():
    for d in sys.argv[1:]:
        for name in ["displays-1k", "displays-10k", "tickets", "tickets-http", "tickets-single", "rss"]:
            path = os.path.join(d, name + ".json")
            if not os.path.exists(path):
                continue
            try:
                r = json.load(open(path))
            except ValueError:
                print("%s %s: not a finished report" % (d, name))
                continue
            p = get(r, "server", "process") or {}
            m = get(r, "server", "metrics_delta") or {}
            print("%s %s: load %.2f->%.2f" % (d, name, get(r, "load_average_before", default=-1),
                                               get(r, "load_average_after", default=-1)))
            if get(r, "error"):
                print("  ERROR", get(r, "error"))
            if get(r, "calls"):
                print("  call->all   ", lat(r, "calls", "to_all_displays_ms"))
                print("  call->first ", lat(r, "calls", "to_first_display_ms"))
                print("  answer      ", lat(r, "calls", "answer_ms"))
                print("  calls %s, left behind %s, failed %s, closed early %s" % (
                    get(r, "calls", "made"), get(r, "displays", "left_behind"), get(r, "displays", "failed"),
                    get(r, "displays", "closed_early")))
            if get(r, "kiosks"):
                print("  tickets/s %s (acked %s), issue %s, errors %s" % (
                    get(r, "kiosks", "per_second"), get(r, "kiosks", "acknowledged"), lat(r, "kiosks", "latency_ms"),
                    get(r, "kiosks", "errors")))
            print("  server cpu %s%%, rss start/end/hwm MB %.1f / %.1f / %.1f; bench cpu %s%%" % (
                p.get("cpu_percent"), p.get("rss_kb_start", 0) / 1024, p.get("rss_kb_end", 0) / 1024,
                p.get("hwm_kb", 0) / 1024, get(r, "bench_process", "cpu_percent")))
            print("  commits %s/s, %s commands per commit, mean %s ms, slow: %s" % (
                m.get("commits_per_second"), m.get("commands_per_commit"), m.get("commit_mean_ms"), slow_commits(r)))


if __name__ == "__main__":
    main()
