"""Plots (PNG) and the generated tables of BENCHMARKS.md, from the raw JSON.

``python -m bench.report [RESULTS.json]`` redoes them without rerunning the
load. The tables go between the ``<!-- bench:begin -->`` / ``<!-- bench:end -->``
markers of BENCHMARKS.md; the text around them is written by hand."""

import json
import os
import sys

from bench.run import RESULTS
from bench.targets import ROOT

BENCHMARKS = os.path.join(ROOT, "BENCHMARKS.md")
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
PEERS = ("flask-socketio", "relay", "gin-original")


def fmt(x, digits=1):
    if x is None:
        return "–"
    if isinstance(x, float) and digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}" if isinstance(x, float) else f"{x:,}"


def plots(res, prefix):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    targets = res["targets"]
    # p99 against offered rate
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for t in targets.values():
        pts = [p for p in (t.get("private") or {}).get("points", []) if "error" not in p]
        if not pts:
            continue
        xs = [p["rate"] for p in pts]
        ys = [p["latency_ms"]["p99"] for p in pts]
        ax.plot(xs, ys, marker="o", label=t["label"])
    ax.axhline(100, color="grey", linestyle="--", linewidth=1)
    ax.text(
        ax.get_xlim()[0] if ax.get_xlim()[0] > 0 else 100,
        115,
        "p99 = 100 ms (saturation bound)",
        fontsize=8,
        color="grey",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("offered rate (messages/s, open loop)")
    ax.set_ylabel("p99 end-to-end latency (ms)")
    ax.set_title("Scenario 1: private chat, 1,000 users in 500 pairs")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    path = f"{prefix}private-p99.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    made.append(path)

    # fan-out: distribution of single deliveries at 10 msg/s
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for t in targets.values():
        runs = [g for g in t.get("group") or [] if "error" not in g and g.get("delivery_samples")]
        if not runs:
            continue
        run = runs[-1]
        xs = sorted(run["delivery_samples"])
        ys = [(i + 1) / len(xs) for i in range(len(xs))]
        ax.plot(xs, ys, label=f"{t['label']} ({run['rate']:g} msg/s)")
    ax.axvline(40, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("latency from send to one member's receipt (ms)")
    ax.set_ylabel("share of deliveries")
    ax.set_title("Scenario 2: fan-out to a group of 1,000 (cumulative)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    path = f"{prefix}fanout-cdf.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    made.append(path)

    # memory against connections
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for t in targets.values():
        c = t.get("connections")
        if not c or "error" in c:
            continue
        xs = [p["connections"] for p in c["points"]]
        ys = [p["rss_kib"] / 1024 for p in c["points"]]
        ax.plot(xs, ys, marker="o", label=f"{t['label']} ({fmt(c['kib_per_connection_slope'])} KiB/conn)")
    ax.set_xlabel("idle authenticated WebSocket connections")
    ax.set_ylabel("server RSS (MiB)")
    ax.set_title("Scenario 3: memory against connections")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    path = f"{prefix}memory.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    made.append(path)
    return made


def tables(res):
    out = []
    meta = res["meta"]
    t = res["targets"]
    out.append(
        f"Run: `{meta.get('command')}` ({meta.get('mode')}), {meta.get('date')}, "
        f"{meta.get('elapsed_s', '?')} s. Machine: {meta.get('nproc')} cores, {meta.get('cpu')}, "
        f"{meta.get('memory')} RAM, Python {meta.get('python')}, Linux {meta.get('kernel')}. "
        f"Load average at start {fmt_load(meta.get('loadavg_start'))}, at end {fmt_load(meta.get('loadavg_end'))}."
    )
    out.append("")
    # --- scenario 1
    out.append("### Scenario 1: private chat (1,000 users, 500 pairs, open loop)")
    out.append("")
    out.append(
        "| server | saturation (p99 ≤ 100 ms, no loss) | most delivered/s at any point | p99 at 1,000 msg/s "
        "| vs Flask-SocketIO | vs bare relay | vs Go original |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    sat = {n: (x.get("private") or {}).get("saturation") for n, x in t.items()}
    for x in t.values():
        p = x.get("private")
        if not p:
            continue
        at1k = next((q for q in p["points"] if q.get("rate") == 1000 and "error" not in q), None)
        sio, relay, gin = sat.get("flask-socketio"), sat.get("relay"), sat.get("gin-original")
        most = max((q.get("delivered_per_s") or 0 for q in p["points"]), default=0)
        out.append(
            f"| {x['label']} | {fmt(p['saturation'], 0)} msg/s | {fmt(float(most), 0)} msg/s | "
            f"{fmt(at1k['latency_ms']['p99']) + ' ms' if at1k else '–'} | "
            f"{ratio(p['saturation'], sio)} | {ratio(p['saturation'], relay)} | {ratio(p['saturation'], gin)} |"
        )
    out.append("")
    out.append(
        "Every point (delivered/s counts recipients' copies, the sender's own copy not included; "
        "'aborted' means a message stayed undelivered for 2 s and the run stopped sending; "
        "gen CPU is the generator's share of its own core while sending, lag its p99 send lag):"
    )
    out.append("")
    out.append(
        "| server | offered | delivered/s | p50 | p95 | p99 | max | lost | dup | gen CPU | gen lag p99 | "
        "server CPU | server CPU per message | others on its core | |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for x in t.values():
        for q in (x.get("private") or {}).get("points", []):
            if "error" in q:
                out.append(f"| {x['label']} | {fmt(q.get('rate'), 0)} | {q['error']} ||||||||||")
                continue
            lat = q["latency_ms"]
            out.append(
                f"| {x['label']} | {fmt(q['rate'], 0)} | {fmt(q['delivered_per_s'], 0)} | {fmt(lat['p50'])} | "
                f"{fmt(lat['p95'])} | {fmt(lat['p99'])} | {fmt(lat['max'])} | {q['lost']} | {q['duplicates']} | "
                f"{q['gen_cpu_pct_sending']} % | {fmt(q['send_lag_ms']['p99'])} ms | "
                f"{machine(q, 'server_cpu_pct')} | {fmt(q.get('server_cpu_us_per_msg'), 0)} µs | "
                f"{machine(q, 'others_on_server_core_pct')} | "
                f"{'ok' if q['ok'] else ('aborted' if q['aborted'] else 'over')} |"
            )
    out.append("")
    # --- scenario 2
    out.append("### Scenario 2: group fan-out (1,000 members, all connected)")
    out.append("")
    out.append(
        "| server | rate | messages | last member p50 | last member p99 | any delivery p99 | lost | dup | gen CPU "
        "| gen lag p99 | others on the server's core |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for x in t.values():
        for g in x.get("group") or []:
            if "error" in g:
                out.append(f"| {x['label']} | {g.get('rate')} | {g['error']} ||||||||")
                continue
            lm = g["last_member_ms"]
            out.append(
                f"| {x['label']} | {g['rate']:g} msg/s | {g['sent']} | {fmt(lm['p50'])} ms | {fmt(lm['p99'])} ms | "
                f"{fmt(g['latency_ms']['p99'])} ms | {g['lost']} | {g['duplicates']} | {g['gen_cpu_pct']} % | "
                f"{lag_p99(g)} | {machine(g, 'others_on_server_core_pct')} |"
            )
    out.append("")
    # --- scenario 3
    out.append("### Scenario 3: idle authenticated connections with heartbeats")
    out.append("")
    out.append(
        "| server | connected | time to connect all | server CPU while connecting | "
        "KiB per connection (all / slope after the first step) | server CPU at idle | alive after idle |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for x in t.values():
        c = x.get("connections")
        if not c:
            continue
        if "error" in c:
            out.append(f"| {x['label']} | {c['error']} ||||||")
            continue
        cpu = c.get("connect_cpu_s")
        out.append(
            f"| {x['label']} | {c['connections']:,} of {c['wanted']:,} | {c['connect_s']} s | "
            f"{f'{cpu} s' if cpu is not None else '-'} | "
            f"{fmt(c['kib_per_connection'])} / {fmt(c['kib_per_connection_slope'])} | "
            f"{c['server_cpu_idle_pct']} % | {c['alive_after_idle']:,} |"
        )
    out.append("")
    # --- scenario 4
    h = res.get("history")
    if h:
        sizes = list(h.keys())
        out.append("### Scenario 4: history at scale (GinChat on SQLite; 200 sequential requests each, keep-alive)")
        out.append("")
        head = " | ".join(f"{int(s):,} stored: p50 / p99" for s in sizes)
        out.append(f"| query | {head} |")
        out.append("|---|" + "---:|" * len(sizes))
        names = [k for k, v in h[sizes[0]].items() if isinstance(v, dict) and "p50" in v]
        for q in names:
            cells = " | ".join(f"{fmt(h[s][q]['p50'], 2)} / {fmt(h[s][q]['p99'], 2)} ms" for s in sizes)
            out.append(f"| {q} ({h[sizes[0]][q]['rows']} rows) | {cells} |")
        out.append("")
    # --- scenario 5
    found = res.get("search")
    if found:
        sizes = list(found.keys())
        repeat = (res.get("config") or {}).get("search_repeat", 200)
        out.append(
            f"### Scenario 5: search at scale (GinChat on SQLite FTS5; {repeat} sequential requests each, keep-alive)"
        )
        out.append("")
        head = " | ".join(f"{int(s):,} stored: p50 / p99" for s in sizes)
        out.append(f"| query (user 1) | {head} |")
        out.append("|---|" + "---:|" * len(sizes))
        names = [k for k, v in found[sizes[0]].items() if isinstance(v, dict) and "p50" in v]
        for q in names:
            cells = " | ".join(f"{fmt(found[s][q]['p50'], 2)} / {fmt(found[s][q]['p99'], 2)} ms" for s in sizes)
            out.append(f"| {q} ({found[sizes[0]][q]['rows']} rows) | {cells} |")
        out.append("")
    return "\n".join(out)


def machine(res, key):
    v = (res.get("machine") or {}).get(key)
    return "–" if v is None else f"{v} %"


def lag_p99(res):
    """The generator's p99 send lag (older results did not record it for every scenario)."""
    lag = res.get("send_lag_ms") or {}
    return "–" if lag.get("p99") is None else f"{fmt(lag['p99'])} ms"


def ratio(a, b):
    if not a or not b:
        return "–"
    return f"{a / b:.2f}×" if a / b < 10 else f"{a / b:.1f}×"


def fmt_load(v):
    return "–" if not v else " / ".join(f"{x:.2f}" for x in v)


def make(path, quick=False):
    with open(path) as fh:
        res = json.load(fh)
    prefix = os.path.join(RESULTS, "quick-" if quick else "")
    made = plots(res, prefix)
    text = tables(res)
    summary = os.path.join(RESULTS, "summary-quick.md" if quick else "summary.md")
    with open(summary, "w") as fh:
        fh.write(text + "\n")
    print(text)
    print("plots:", ", ".join(os.path.relpath(p, ROOT) for p in made))
    if quick:
        print(f"quick run: BENCHMARKS.md left as it is (tables in {os.path.relpath(summary, ROOT)})")
        return
    try:
        with open(BENCHMARKS) as fh:
            doc = fh.read()
    except FileNotFoundError:
        doc = f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN in doc and END in doc:
        head, rest = doc.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        doc = f"{head}{BEGIN}\n{text}\n{END}{tail}"
        with open(BENCHMARKS, "w") as fh:
            fh.write(doc)
        print("BENCHMARKS.md: tables updated")


if __name__ == "__main__":
    make(sys.argv[1] if len(sys.argv) > 1 else os.path.join(RESULTS, "results.json"))
