"""The orchestrator behind ``python -m bench`` (``make bench``): seeds and starts
each server pinned to one core, runs the generator pinned to the other, and
keeps every result as JSON under bench/results/ before the plots and the
tables of BENCHMARKS.md are made from it."""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

from bench import targets as T

RESULTS = os.path.join(T.ROOT, "bench", "results")
GEN_CPU = os.environ.get("BENCH_GEN_CPU", "1")

FULL = dict(
    rates=[1000, 2000, 4000, 8000],
    duration=10,
    bisect=3,
    max_rate=16000,
    group=1000,
    group_rates=[1, 10],
    group_duration=10,
    connections=9000,
    conn_steps=[1000, 3000, 6000, 9000],
    idle=20,
    history_small=10_000,
    history_large=1_000_000,
    history_repeat=200,
    search_sizes=[10_000, 100_000, 1_000_000],
    search_repeat=200,
)
QUICK = dict(
    rates=[1000, 2000],
    duration=3,
    bisect=1,
    max_rate=4000,
    group=1000,
    group_rates=[1, 10],
    group_duration=3,
    connections=2000,
    conn_steps=[1000, 2000],
    idle=5,
    history_small=10_000,
    history_large=100_000,
    history_repeat=50,
    search_sizes=[10_000, 100_000],
    search_repeat=50,
)


def log(msg):
    print(time.strftime("%H:%M:%S"), msg, flush=True)


class Runner:
    def __init__(self, args):
        self.args = args
        self.cfg = dict(QUICK if args.quick else FULL)
        if args.duration:
            self.cfg["duration"] = args.duration
        if getattr(args, "search_sizes", None):
            self.cfg["search_sizes"] = [int(n) for n in args.search_sizes.split(",")]
        if args.rates:
            self.cfg["rates"] = [float(r) for r in args.rates.split(",")]
            self.cfg["max_rate"] = max(self.cfg["max_rate"], max(self.cfg["rates"]))
        self.work = args.workdir or tempfile.mkdtemp(prefix="ginchat-bench-")
        os.makedirs(self.work, exist_ok=True)
        self.results = {"meta": machine(), "config": self.cfg, "targets": {}}
        self.results["meta"]["mode"] = "quick" if args.quick else "full"
        self.results["meta"]["command"] = " ".join(["python -m bench"] + sys.argv[1:])

    # --- the generator -----------------------------------------------------------
    def generate(self, target, spec, timeout=600):
        spec = dict(spec, dialect=target.dialect, port=target.port, host="127.0.0.1")
        fd, path = tempfile.mkstemp(prefix="spec-", suffix=".json", dir=self.work)
        out = path.replace("spec-", "out-")
        spec["out"] = out
        with os.fdopen(fd, "w") as fh:
            json.dump(spec, fh)
        cmd = T.taskset(GEN_CPU) + [T.PY, "-m", "bench.loadgen", path]
        try:
            before = cpu_sample(target.pid)
            gen = subprocess.Popen(cmd, cwd=T.ROOT, start_new_session=bool(T.NICE))
            T.set_autogroup_nice(gen.pid)
            try:
                if gen.wait(timeout):
                    raise subprocess.CalledProcessError(gen.returncode, cmd)
            except subprocess.TimeoutExpired:
                gen.kill()
                gen.wait()
                raise
            with open(out) as fh:
                res = json.load(fh)
            res["machine"] = cpu_share(before, cpu_sample(target.pid))
            return res
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError, ValueError) as exc:
            return {"error": f"generator failed: {exc}"}
        finally:
            for p in (path, out):
                try:
                    os.unlink(p)
                except OSError:
                    pass

    # --- scenario 1 --------------------------------------------------------------
    def private_point(self, target, seed, rate):
        users = [u for u in seed["users"] if u["id"] <= 2 * len(seed["pairs"])]
        res = self.generate(
            target,
            dict(
                scenario="private",
                users=users,
                server_pid=target.pid,
                pairs=seed["pairs"],
                rate=rate,
                duration=self.cfg["duration"],
                abort_after=2.0,
                drain=5.0,
            ),
        )
        ok = (
            "error" not in res
            and not res["aborted"]
            and res["lost"] == 0
            and res["duplicates"] == 0
            and res["latency_ms"]["p99"] is not None
            and res["latency_ms"]["p99"] <= 100
        )
        res["ok"] = ok
        lat = res.get("latency_ms") or {}
        log(
            f"  {target.name} private {rate:>6.0f} msg/s: "
            + (
                res["error"]
                if "error" in res
                else f"delivered {res['delivered_per_s']:.0f}/s p50 {fmt(lat.get('p50'))} p99 {fmt(lat.get('p99'))} ms "
                f"lost {res['lost']} dup {res['duplicates']}{' ABORTED' if res['aborted'] else ''} "
                f"gen cpu {res['gen_cpu_pct_sending']}% lag p99 {fmt(res['send_lag_ms']['p99'])} ms; "
                f"server CPU {fmt(res.get('server_cpu_us_per_msg'))} µs/msg while sending; "
                f"server cpu {res['machine'].get('server_cpu_pct')}%, others on its core "
                f"{res['machine'].get('others_on_server_core_pct')}%"
            )
            + (" ok" if ok else " FAIL")
        )
        if "error" in res or not res.get("drained", False):
            target.stop()  # a backlog left behind would spoil the next point
            target.start()
        return res

    def scenario_private(self, target, seed):
        cfg = self.cfg
        points = []
        best, worst = 0, None

        def point(rate):
            nonlocal best, worst
            res = self.private_point(target, seed, rate)
            points.append(res)
            if res["ok"]:
                best = max(best, rate)
            elif worst is None or rate < worst:
                worst = rate
            return res["ok"]

        for rate in cfg["rates"]:
            point(rate)
        if self.args.no_search:  # --no-search: the given rates only
            points.sort(key=lambda r: r.get("rate", 0))
            return {"points": points, "saturation": best, "first_failure": worst}
        if worst is None:
            rate = cfg["rates"][-1]
            while rate < cfg["max_rate"]:
                rate = min(cfg["max_rate"], rate * 1.5)
                if not point(rate):
                    break
        if best == 0 and worst is not None:
            rate = worst
            while rate > 50:
                rate = rate / 2
                if point(rate):
                    break
        for _ in range(cfg["bisect"]):
            if worst is None or best == 0 or worst - best <= max(100, best * 0.08):
                break
            step = 50 if worst - best < 1000 else 250
            point(round((best + worst) / 2 / step) * step)
        points.sort(key=lambda r: r.get("rate", 0))
        return {"points": points, "saturation": best, "first_failure": worst}

    # --- scenario 2 --------------------------------------------------------------
    def scenario_group(self, target, seed):
        cfg = self.cfg
        members = [u for u in seed["users"] if seed["group"] in u["groups"]][: cfg["group"]]
        out = []
        for rate in cfg["group_rates"]:
            res = self.generate(
                target,
                dict(
                    scenario="group",
                    users=members,
                    group=seed["group"],
                    rate=rate,
                    duration=cfg["group_duration"],
                    abort_after=10.0,
                    drain=15.0,
                ),
            )
            res["rate"] = rate
            if "error" in res:
                log(f"  {target.name} group {rate} msg/s: {res['error']}")
            else:
                lm = res["last_member_ms"]
                log(
                    f"  {target.name} group of {res['members']} at {rate} msg/s: last member p50 {fmt(lm['p50'])} "
                    f"p99 {fmt(lm['p99'])} ms; delivery p99 {fmt(res['latency_ms']['p99'])} ms; "
                    f"lost {res['lost']} dup {res['duplicates']}; gen cpu {res['gen_cpu_pct']}% "
                    f"lag p99 {fmt(res['send_lag_ms']['p99'])} ms; "
                    f"others on the server's core {res['machine'].get('others_on_server_core_pct')}%"
                )
            out.append(res)
            if "error" in res or not res.get("drained", False):
                target.stop()
                target.start()
        return out

    # --- scenario 3 --------------------------------------------------------------
    def scenario_connections(self, target, seed):
        cfg = self.cfg
        target.stop()
        target.start()
        users = seed["users"][: cfg["connections"]]
        res = self.generate(
            target,
            dict(
                scenario="connections",
                users=users,
                server_pid=target.pid,
                steps=[s for s in cfg["conn_steps"] if s <= len(users)],
                idle=cfg["idle"],
                heartbeat_interval=10,
            ),
            timeout=900,
        )
        if "error" in res:
            log(f"  {target.name} connections: {res['error']}")
        else:
            log(
                f"  {target.name}: {res['connections']} connections in {res['connect_s']} s "
                f"(server CPU {res.get('connect_cpu_s')} s), "
                f"{res['kib_per_connection']} KiB each (slope {res['kib_per_connection_slope']}), "
                f"idle server CPU {res['server_cpu_idle_pct']}%, {res['alive_after_idle']} alive after idle"
            )
        return res

    # --- scenarios 4 and 5: GETs over tables of growing size ------------------
    def _sized_queries(self, make_target, label, sizes, queries_for, repeat):
        """For each size: a fresh target seeded with that many messages, then
        each of ``queries_for(size)`` timed ``repeat`` times as user 1."""
        out = {}
        for size in sizes:
            target = make_target(f"{label}-{size}")
            t0 = time.monotonic()
            seed = target.seed(users=1000, pairs=500, group=0, messages=size)
            seeded = time.monotonic() - t0
            target.start()
            try:
                res = self.generate(
                    target,
                    dict(
                        scenario="history",
                        token=seed["users"][0]["token"],
                        queries=queries_for(size),
                        repeat=repeat,
                    ),
                )
            finally:
                target.stop()
            res["seed_s"] = round(seeded, 1)
            out[str(size)] = res
            for name, r in res.items():
                if isinstance(r, dict) and "p50" in r:
                    log(f"  {size:>8} messages: {name}: p50 {fmt(r['p50'])} p99 {fmt(r['p99'])} ms ({r['rows']} rows)")
        return out

    def scenario_history(self, make_target):
        def queries(top):
            return {
                "history latest 50": "/message/history?type=1&targetId=2&limit=50",
                "history page 50 before the newest 500": (
                    f"/message/history?type=1&targetId=2&limit=50&before={top - 500}"
                ),
                "sync last 200": f"/message/sync?since={top - 200}&limit=200",
                "sync 200 after the probe's first": f"/message/sync?since={top - 1000}&limit=200",
                "sync from 0 (200)": "/message/sync?since=0&limit=200",
            }

        cfg = self.cfg
        sizes = (cfg["history_small"], cfg["history_large"])
        return self._sized_queries(make_target, "history", sizes, queries, cfg["history_repeat"])

    def scenario_search(self, make_target):
        """GET /message/search as user 1 over tables of growing size; the words
        are seeded at the same rates in every size (bench/seed.py words_for)."""

        def queries(top):
            return {
                # The cost of any authenticated GET on this machine right now: the floor under the rest.
                "reference: history, latest 20 (no search)": "/message/history?type=1&targetId=2&limit=20",
                "a word of 10 % of all messages, first page of 20": "/message/search?q=rendezvous&size=20",
                "the same, the page before the newest 500": (
                    f"/message/search?q=rendezvous&size=20&before={top - 500}"
                ),
                "a prefix (rendez)": "/message/search?q=rendez&size=20",
                "a rarer word (1 % of the others, every 50th of mine)": "/message/search?q=quartz&size=20",
                "two words": "/message/search?q=quartz%20rendezvous&size=20",
                "a word only others wrote (5 %): no hit": "/message/search?q=zeppelin&size=20",
                "a word nobody wrote": "/message/search?q=nowhereword&size=20",
                # Chinese inside sentences (bench/seed.py chinese_for): the same rates as above.
                "Chinese: a word of 10 % inside sentences (会议)": "/message/search?q=%E4%BC%9A%E8%AE%AE&size=20",
                "Chinese: one character (会)": "/message/search?q=%E4%BC%9A&size=20",
                "Chinese: a rarer word (预算)": "/message/search?q=%E9%A2%84%E7%AE%97&size=20",
                "Chinese: a word only others wrote (飞艇): no hit": "/message/search?q=%E9%A3%9E%E8%89%87&size=20",
                "Chinese: a word nobody wrote (火星)": "/message/search?q=%E7%81%AB%E6%98%9F&size=20",
            }

        cfg = self.cfg
        return self._sized_queries(make_target, "search", cfg["search_sizes"], queries, cfg["search_repeat"])

    # --- all -------------------------------------------------------------------------
    def run_target(self, target, scenarios):
        cfg = self.cfg
        users = max(1000, cfg["connections"] if "3" in scenarios else 1000)
        log(f"{target.label}: seeding {users} users")
        seed = target.seed(users=users, pairs=500, group=cfg["group"])
        res = dict(self.results["targets"].get(target.name) or {})  # --merge keeps the scenarios not rerun
        res.update(label=target.label, dialect=target.dialect)
        target.start()
        try:
            if "1" in scenarios:
                log(f"{target.label}: scenario 1, private chat")
                res["private"] = self.scenario_private(target, seed)
            if "2" in scenarios:
                log(f"{target.label}: scenario 2, group fan-out")
                res["group"] = self.scenario_group(target, seed)
            if "3" in scenarios:
                log(f"{target.label}: scenario 3, {cfg['connections']} idle connections")
                res["connections"] = self.scenario_connections(target, seed)
        finally:
            target.stop()
        self.results["targets"][target.name] = res
        self.save()

    def save(self):
        os.makedirs(RESULTS, exist_ok=True)
        with open(self.args.output, "w") as fh:
            json.dump(self.results, fh, indent=1)


def cpu_sample(server_pid):
    """Per-core busy time (/proc/stat) and the CPU time of the server's session
    (the server and its children, e.g. the embedded redis-server)."""
    cores = {}
    with open("/proc/stat") as fh:
        for line in fh:
            if line.startswith("cpu") and line[3:4].isdigit():
                name, *vals = line.split()
                vals = [int(v) for v in vals]
                idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
                cores[name] = (sum(vals[:8]) - idle, sum(vals[:8]))
    session = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == server_pid:  # the session id: the server started its own session
            session += int(fields[11]) + int(fields[12])
    return {"t": time.monotonic(), "cores": cores, "server_ticks": session}


def cpu_share(a, b):
    """Busy % of the server's and the generator's cores during a run, the
    server's own share, and what other processes took of the server's core."""
    tick = os.sysconf("SC_CLK_TCK")
    wall = b["t"] - a["t"]
    out = {}
    for core in (f"cpu{T.SERVER_CPU}", f"cpu{GEN_CPU}"):
        if core in a["cores"] and core in b["cores"]:
            busy = b["cores"][core][0] - a["cores"][core][0]
            total = b["cores"][core][1] - a["cores"][core][1]
            out[f"{core}_busy_pct"] = round(100 * busy / total, 1) if total else None
    server = 100 * (b["server_ticks"] - a["server_ticks"]) / tick / wall if wall > 0 else None
    out["server_cpu_pct"] = round(server, 1) if server is not None else None
    busy0 = out.get(f"cpu{T.SERVER_CPU}_busy_pct")
    if busy0 is not None and server is not None:
        out["others_on_server_core_pct"] = round(max(0.0, busy0 - server), 1)
    out["loadavg"] = os.getloadavg()
    return out


def fmt(x):
    return "-" if x is None else f"{x:.1f}"


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f"{int(fh.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_start": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="a short run of every scenario (a few minutes)")
    ap.add_argument(
        "--scenarios",
        default="1,2,3,4,5",
        help="comma-separated: 1 private, 2 group, 3 connections, 4 history, 5 search",
    )
    ap.add_argument(
        "--targets",
        default="ginchat,ginchat-browser,ginchat-w2,mariadb,postgresql,socketio,relay,gin",
        help="ginchat (embedded), ginchat-wN (GINCHAT_WORKERS=N, every core), mariadb, postgresql, socketio, relay, "
        "gin (the Go original's core); ginchat-browser, mariadb-browser, postgresql-browser: clients that log in "
        "and connect as the browser app does (session cookie, Origin, /chat?events=1, permessage-deflate offered)",
    )
    ap.add_argument("--duration", type=float, help="seconds per scenario-1 rate (default 10, quick 3)")
    ap.add_argument("--rates", help="comma-separated scenario-1 rates (default 1000,2000,4000,8000)")
    ap.add_argument(
        "--no-search",
        action="store_true",
        help="scenario 1 at the given --rates only (no search for the saturation): e.g. CPU per message at 1,000 msg/s",
    )
    ap.add_argument("--workdir", help="scratch folder (databases, logs); default a new temp folder")
    ap.add_argument("--output", default=None, help="raw results JSON (default bench/results/results[-quick].json)")
    ap.add_argument(
        "--merge",
        action="store_true",
        help="keep the results of targets and scenarios not rerun from --output (rerun a part)",
    )
    ap.add_argument(
        "--search-sizes", help="comma-separated table sizes of scenario 5 (default 10000,100000,1000000; quick: two)"
    )
    ap.add_argument("--no-report", action="store_true", help="skip plots and BENCHMARKS.md")
    args = ap.parse_args(argv)
    if args.output is None:
        args.output = os.path.join(RESULTS, "results-quick.json" if args.quick else "results.json")
    scenarios = set(args.scenarios.split(","))
    wanted = args.targets.split(",")
    runner = Runner(args)
    if args.merge and os.path.exists(args.output):
        with open(args.output) as fh:
            old = json.load(fh)
        runner.results["targets"] = old.get("targets", {})
        for kept in ("history", "search"):
            if kept in old:
                runner.results[kept] = old[kept]
        runner.results["meta"]["merged_into"] = old.get("meta")
    log(f"bench ({'quick' if args.quick else 'full'}): scratch in {runner.work}; load average {os.getloadavg()}")
    chosen = []
    backends = [b for b in ("embedded", "mariadb", "postgresql") if (b if b != "embedded" else "ginchat") in wanted]
    backends += [w[len("ginchat-") :] for w in wanted if w.startswith("ginchat-w") and w[len("ginchat-w") :].isdigit()]
    backends += [w for w in wanted if w.endswith("-browser")]
    for t in T.ginchat_targets(runner.work, backends):
        chosen.append(t)
    for b in backends:
        if b not in ("embedded",) and not b.startswith("w") and not any(t.name.endswith(b) for t in chosen):
            log(f"{b}: not answering on 127.0.0.1 (or Redis is not): skipped")
    if "socketio" in wanted:
        chosen.append(T.SocketIOPeer(runner.work))
    if "relay" in wanted:
        chosen.append(T.RelayPeer(runner.work))
    if "gin" in wanted:
        why = T.GoOriginalPeer.missing()
        if why:
            log(f"Go original: skipped ({why})")
        else:
            chosen.append(T.GoOriginalPeer(runner.work))
    t0 = time.monotonic()
    for target in chosen if scenarios & {"1", "2", "3"} else []:
        # (the browser clients on SQLite connect in scenario 3 too: cookie handshakes against tokens')
        ginchat_db = (
            target.name != "ginchat-browser" and target.dialect in ("ginchat", "browser") and target.name != "ginchat"
        )
        # MariaDB/PostgreSQL change the storage only: scenarios 1 and 2 there.
        runner.run_target(target, scenarios - {"3", "4"} if ginchat_db else scenarios - {"4"})
    if "4" in scenarios and "ginchat" in wanted:
        log("GinChat (SQLite): scenario 4, history at scale")
        runner.results["history"] = runner.scenario_history(
            lambda name: T.GinChat(runner.work, name, "GinChat (SQLite)")
        )
    if "5" in scenarios and "ginchat" in wanted:
        log("GinChat (SQLite): scenario 5, search at scale")
        found = runner.scenario_search(lambda name: T.GinChat(runner.work, name, "GinChat (SQLite)"))
        # --merge with --search-sizes reruns some sizes and keeps the others.
        runner.results["search"] = {**(runner.results.get("search") or {}), **found} if args.merge else found
    runner.results["meta"]["loadavg_end"] = os.getloadavg()
    runner.results["meta"]["elapsed_s"] = round(time.monotonic() - t0)
    runner.save()
    log(f"raw results: {args.output} ({runner.results['meta']['elapsed_s']} s)")
    if not args.no_report:
        from bench import report

        report.make(args.output, quick=args.quick)


if __name__ == "__main__":
    main()
