#!/usr/bin/env python3
"""Writes assets/halls/bench-300.json: the hall hallq-bench measures against.

20 services, 300 windows (each serving 1 to 3 services), 300 clerks with one window each, one
shared display token, kiosks, an admin, no opening hours and the highest rate limits the config
validator accepts. Passwords are the sample hall's: clerks "clerk-demo", admin "admin-demo"
(the hash strings are copied from assets/halls/sample-county.json, so no hashing happens here).

Deterministic: running it again gives the same file.

  server/bench/make_bench_hall.py [--sample FILE] [--out FILE] [--kiosks N]
"""
import argparse
import hashlib
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# 20 one-letter codes; I and O are left out because they read as 1 and 0 on a ticket.
CODES = "ABCDEFGHJKLMNPQRSTUV"
SERVICE_NAMES = [
    ("综合受理", "綜合受理", "General Counter"),
    ("企业开办", "企業開辦", "Business Start-up"),
    ("企业代办", "企業代辦", "Enterprise Agent Service"),
    ("不动产登记", "不動產登記", "Real Estate Registration"),
    ("社保", "社保", "Social Security"),
    ("医保", "醫保", "Medical Insurance"),
    ("住房公积金", "住房公積金", "Housing Provident Fund"),
    ("户籍办理", "戶籍辦理", "Household Registration"),
    ("出入境证件", "出入境證件", "Exit-Entry Documents"),
    ("税务办理", "稅務辦理", "Taxation"),
    ("市场监管许可", "市場監管許可", "Market Regulation Licences"),
    ("交通运输", "交通運輸", "Transport"),
    ("住房建设", "住房建設", "Housing and Construction"),
    ("生态环境", "生態環境", "Ecology and Environment"),
    ("水电气报装", "水電氣報裝", "Utility Connections"),
    ("民政婚姻", "民政婚姻", "Civil Affairs and Marriage"),
    ("残疾人服务", "殘疾人服務", "Disability Services"),
    ("退役军人服务", "退役軍人服務", "Veterans Services"),
    ("公证", "公證", "Notary"),
    ("法律援助", "法律援助", "Legal Aid"),
]
# The validator's maximum for both rate limits (shared/src/hall_config.cc).
RATE_MAX_PER_MIN = 100000


def token(label):
    """A stable 32-character token for a device: not secret, this hall is for benchmarks only."""
    return hashlib.sha256(("hallq-bench-300/" + label).encode()).hexdigest()[:32]


def name(zh_cn, zh_tw, en):
    return {"zh_cn": zh_cn, "zh_tw": zh_tw, "en": en}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sample", default=os.path.join(ROOT, "assets/halls/sample-county.json"))
    p.add_argument("--out", default=os.path.join(ROOT, "assets/halls/bench-300.json"))
    # One kiosk may issue at most RATE_MAX_PER_MIN/60 = 1,666 tickets/s, so 20,000 tickets/s
    # needs at least 12 kiosk identities; 24 leave room.
    p.add_argument("--kiosks", type=int, default=24)
    args = p.parse_args()

    sample = json.load(open(args.sample, encoding="utf-8"))
    users = {u["name"]: u for u in sample["users"]}
    admin_hash = users["admin"]["password_hash"]
    clerk_hash = next(u["password_hash"] for u in sample["users"] if u["role"] == "clerk")

    services = []
    for i, code in enumerate(CODES):
        zh_cn, zh_tw, en = SERVICE_NAMES[i]
        services.append({
            "code": code,
            "name": name(zh_cn, zh_tw, en),
            "department": "县行政服务中心",
            "hours": [],
            "daily_cap": 0,
            "number_digits": 4,
            "wait_limit_min": 30,
            "service_limit_min": 20,
            "expected_service_min": 5 + i % 10,
        })

    windows = []
    for n in range(1, 301):
        first = (n - 1) % 20
        count = 1 + (n - 1) % 3
        served = []
        for k in range(count):
            code = CODES[(first + 7 * k) % 20]
            if code not in served:
                served.append(code)
        windows.append({
            "number": n,
            "name": name(f"{n}号窗口", f"{n}號窗口", f"Window {n}"),
            "department": "县行政服务中心",
            "services": served,
            "idle_limit_min": 0,
        })

    devices = [{
        "id": "board-all",
        "kind": "display",
        "token": token("display"),
        "name": name("大厅综合屏（共用）", "大廳綜合屏（共用）", "Hall board (shared by every bench display)"),
        "layout": "board",
    }]
    for k in range(1, args.kiosks + 1):
        devices.append({
            "id": f"kiosk-{k}",
            "kind": "kiosk",
            "token": token(f"kiosk-{k}"),
            "name": name(f"{k}号取号机", f"{k}號取號機", f"Ticket Kiosk {k}"),
        })

    users_out = [{
        "name": "admin",
        "display_name": "中心管理员",
        "role": "admin",
        "password_hash": admin_hash,
    }]
    for n in range(1, 301):
        users_out.append({
            "name": f"clerk{n:03d}",
            "display_name": f"{n}号窗口办事员",
            "role": "clerk",
            "password_hash": clerk_hash,
            "windows": [n],
        })

    rules = dict(sample["rules"])
    rules.update({
        "enforce_opening_hours": False,
        "kiosk_rate_per_min": RATE_MAX_PER_MIN,
        "clerk_rate_per_min": RATE_MAX_PER_MIN,
    })

    hall = {
        "id": "bench-300",
        "name": name("基准测试大厅（300窗口）", "基準測試大廳（300窗口）", "Benchmark hall (300 windows)"),
        "notice": "本大厅配置仅用于性能测试。",
        "services": services,
        "windows": windows,
        "devices": devices,
        "users": users_out,
        "rules": rules,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(hall, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
