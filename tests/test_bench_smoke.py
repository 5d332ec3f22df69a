"""A few seconds of the bench harness (bench/, issue 5) at a tiny load, so it
cannot rot: seeding, a GinChat server and the bare relay started the way
``make bench`` starts them, and the generator's private, group and
connection scenarios. No timing is asserted: only that every message arrives
exactly once and the counts add up."""

import argparse
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import run as bench_run  # noqa: E402
from bench import targets as T  # noqa: E402

pytestmark = pytest.mark.slow  # runs the benchmark scripts


@pytest.fixture
def runner(tmp_path):
    args = argparse.Namespace(
        quick=True, duration=1.0, rates=None, workdir=str(tmp_path), output=str(tmp_path / "results.json")
    )
    return bench_run.Runner(args)


def check_private(res, rate, duration):
    assert "error" not in res, res
    assert res["sent"] == int(rate * duration)
    assert res["expected_deliveries"] == res["sent"]
    assert res["delivered"] == res["sent"]
    assert res["lost"] == 0 and res["duplicates"] == 0
    assert res["echoes"] == res["sent"]  # the sender's own copy
    assert res["errors"] == 0
    assert res["latency_ms"]["n"] == res["sent"]
    assert res["gen_cpu_pct"] >= 0 and res["send_lag_ms"]["n"] == res["sent"]


def check_group(res, members):
    assert "error" not in res, res
    assert res["sent"] >= 1
    assert res["delivered"] == res["sent"] * (members - 1)
    assert res["lost"] == 0 and res["duplicates"] == 0
    assert len(res["last_member_samples"]) == res["sent"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["ginchat", "relay"])
def test_generator_counts_every_message(runner, tmp_path, kind):
    if kind == "ginchat":
        target = T.GinChat(str(tmp_path), "ginchat", "GinChat (smoke)")
    else:
        target = T.RelayPeer(str(tmp_path))
    seed = target.seed(users=20, pairs=10, group=20)
    target.start()
    try:
        users = seed["users"]
        res = runner.generate(
            target,
            dict(scenario="private", users=users, pairs=seed["pairs"], rate=40, duration=1.0, abort_after=10, drain=10),
        )
        check_private(res, 40, 1.0)
        res = runner.generate(
            target,
            dict(scenario="group", users=users, group=seed["group"], rate=4, duration=1.0, abort_after=10, drain=10),
        )
        check_group(res, len(users))
        res = runner.generate(
            target,
            dict(
                scenario="connections", users=users, server_pid=target.pid, steps=[10, 20], idle=1, heartbeat_interval=1
            ),
        )
        assert "error" not in res, res
        assert res["connections"] == 20 and res["failures"] == 0
        assert res["alive_after_idle"] == 20
        assert res["points"][-1]["rss_kib"] > 0
    finally:
        target.stop()


@pytest.mark.timeout(180)
def test_the_search_scenario_finds_the_seeded_words(runner, tmp_path):
    runner.cfg.update(search_sizes=[3000], search_repeat=1)
    res = runner.scenario_search(lambda name: T.GinChat(str(tmp_path), name, "GinChat (smoke)"))["3000"]
    rows = {name: r["rows"] for name, r in res.items() if isinstance(r, dict) and "rows" in r}
    # User 1 reads only the probe (the newest 1,000): every 10th holds rendezvous, every 50th quartz.
    assert rows["a word of 10 % of all messages, first page of 20"] == 20
    assert rows["a prefix (rendez)"] == 20
    assert rows["a rarer word (1 % of the others, every 50th of mine)"] == 20
    assert rows["a word only others wrote (5 %): no hit"] == 0
    assert rows["a word nobody wrote"] == 0
    assert rows["two words"] == 20
    assert rows["reference: history, latest 20 (no search)"] == 20


def test_the_threads_list_bench_runs_small():
    """bench/threads_list.py (issue 28) at a tiny size: the database fills,
    every page answers 200 with the user's whole count; no timing asserted."""
    import subprocess

    out = subprocess.run(
        [sys.executable, "-m", "bench.threads_list", "--messages", "600", "--threads", "50", "--repeat", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "GINCHAT_BUS": "none"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "user 1: 50 threads, 3 pages" in out.stdout, out.stdout
    assert out.stdout.count(" rows, ") == 3, out.stdout
    assert "thread_follow" in out.stdout  # the plan names the index it searches
