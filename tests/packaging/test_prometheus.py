"""deploy/'s Grafana dashboard and Prometheus files hold up against a real Prometheus that
scrapes a real two-worker server under a little load."""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.clients import Socket, connected, login
from tests.support.redis_proc import RedisProcess
from tests.support.server import (
    REDIS_TEST_URL,
    ROOT,
    ServerProcess,
    free_port,
    login_body,
    timeout,
)

DEPLOY = ROOT / "deploy"
DASHBOARD = DEPLOY / "grafana" / "loginguard.json"
CONFIG = DEPLOY / "prometheus.yml"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
needs_prometheus = pytest.mark.skipif(
    PROMETHEUS is None or PROMTOOL is None,
    reason="prometheus / promtool not installed (Debian: apt install prometheus; .ci/run does)",
)

#: What Grafana puts in place of its variables when every node and worker is selected.
#: ``$__rate_interval`` is at least four scrape intervals in Grafana; a minute keeps the
#: load of the test's first seconds inside every window.
GRAFANA_VALUES = {
    "$__rate_interval": "1m",
    "$__interval": "5s",
    "$__range": "5m",
    "$instance": ".*",
    "$worker": ".*",
}


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def graphs(board: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel that draws something (rows hold panels of their own when collapsed)."""
    found: list[dict[str, Any]] = []
    for panel in board["panels"]:
        if panel["type"] == "row":
            found.extend(panel.get("panels", []))
        else:
            found.append(panel)
    return found


def substituted(expr: str) -> str:
    for name in sorted(GRAFANA_VALUES, key=len, reverse=True):  # $__range before $__r…
        expr = expr.replace(name, GRAFANA_VALUES[name])
    assert "$" not in expr, expr
    return expr


def alert_rules() -> list[dict[str, Any]]:
    """The rules of deploy/prometheus/alerts.yml, as promtool reads them (no YAML library here)."""
    # Every rule is `- alert: Name` then `expr:` (one line, or `>-` and indented lines).
    rules: list[dict[str, Any]] = []
    lines = ALERTS.read_text().splitlines()
    for i, line in enumerate(lines):
        if m := re.match(r"\s*- alert: (\S+)$", line):
            rules.append({"alert": m.group(1)})
        elif m := re.match(r"(\s*)expr: (.*)$", line):
            if m.group(2) == ">-":
                indent = len(m.group(1))
                body = [
                    text.strip()
                    for text in _until_dedent(lines[i + 1 :], indent)
                    if not text.strip().startswith("#")
                ]
                rules[-1]["expr"] = " ".join(body)
            else:
                rules[-1]["expr"] = m.group(2)
        elif m := re.match(r"\s*(for|severity): (\S+)$", line):
            rules[-1][m.group(1)] = m.group(2)
        elif m := re.match(r"\s*(summary|description):", line):
            rules[-1][m.group(1)] = True
    return rules


def _until_dedent(lines: list[str], indent: int) -> Iterator[str]:
    for line in lines:
        if len(line) - len(line.lstrip()) <= indent:
            return
        yield line


# -- the files alone --------------------------------------------------------------------


def test_dashboard_takes_its_datasource_and_node_and_worker_as_variables() -> None:
    """Every panel reads the ${DS_PROMETHEUS} datasource; node and worker are variables."""
    board = dashboard()
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    assert variables["DS_PROMETHEUS"]["query"] == "prometheus"
    for name in ("instance", "worker"):
        assert variables[name]["type"] == "query"
        assert variables[name]["includeAll"] is True
        assert variables[name]["allValue"] == ".*"
    panels = graphs(board)
    rows = [p for p in board["panels"] if p["type"] == "row"]
    ids = [p["id"] for p in rows + panels]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    for panel in panels:
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]


def test_dashboard_has_the_panels_an_operator_looks_for() -> None:
    """Sockets, logins by outcome, displacements, kick latency, GC, store, contests, workers."""
    titles = " | ".join(p["title"] for p in graphs(dashboard()))
    for wanted in (
        "Sockets held",
        "Logins by outcome",
        "Displacements/s",
        "Kick latency",
        "GC pause",
        "Store errors",
        "Store reachable, per worker",
        "Contested accounts",
        "Sockets per worker",
        "Event-loop lag per worker",
    ):
        assert wanted in titles, titles


def test_every_alert_has_a_for_a_severity_and_a_summary_and_description() -> None:
    """Each alert rule waits (``for:``), says how bad (severity) and says what it means."""
    rules = alert_rules()
    names = {rule["alert"] for rule in rules}
    for wanted in (
        "LoginGuardStoreUnreachable",
        "LoginGuardEventLoopStall",
        "LoginGuardContestedSpike",
        "LoginGuardWorkerDied",
        "LoginGuardCrashLoop",
        "LoginGuardStoreErrors",
        "LoginGuardCloseAborts",
    ):
        assert wanted in names, names
    for rule in rules:
        assert set(rule) >= {"expr", "for", "severity", "summary", "description"}, rule
        assert rule["severity"] in {"critical", "warning"}, rule


@needs_prometheus
def test_promtool_accepts_the_config_and_the_rules() -> None:
    """promtool check config (which loads the rule files too) and check rules pass."""
    assert PROMTOOL is not None
    for args in (["check", "config", str(CONFIG)], ["check", "rules", str(ALERTS)]):
        done = subprocess.run([PROMTOOL, *args], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "SUCCESS" in done.stdout


def without_annotations(rules: str) -> str:
    """alerts.yml without its ``annotations:`` blocks (promtool compares them word for word)."""
    kept: list[str] = []
    inside = None  # the indentation of the annotations block being dropped
    for line in rules.splitlines():
        indent = len(line) - len(line.lstrip())
        if inside is not None and (not line.strip() or indent > inside):
            continue
        inside = indent if line.strip() == "annotations:" else None
        if inside is None:
            kept.append(line)
    return "\n".join(kept) + "\n"


@needs_prometheus
def test_alerts_fire_when_they_should_and_not_before(tmp_path: Path) -> None:
    """promtool's unit tests of the rules (tests/packaging/alerts_test.yml) pass: a hung or
    stalled worker, a lost store, a crash loop, a death, a contest spike, a dead node."""
    assert PROMTOOL is not None
    stripped = without_annotations(ALERTS.read_text())
    assert "annotations" not in stripped
    assert stripped.count("- alert:") == ALERTS.read_text().count("- alert:")
    (tmp_path / "alerts.yml").write_text(stripped)
    shutil.copy(Path(__file__).with_name("alerts_test.yml"), tmp_path)
    done = subprocess.run(
        [PROMTOOL, "test", "rules", str(tmp_path / "alerts_test.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


# -- against a live Prometheus ----------------------------------------------------------


@pytest.fixture
def prometheus() -> Iterator[Callable[[ServerProcess], str]]:
    """Start Prometheus scraping a server every second with deploy's alert rules; its URL.

    Killed, and its data directory deleted, afterwards.
    """
    started: list[subprocess.Popen[bytes]] = []
    workdir = Path(tempfile.mkdtemp(prefix="lg-prometheus-"))

    def start(server: ServerProcess) -> str:
        assert PROMETHEUS is not None
        config = {  # JSON is YAML
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(ALERTS)],
            "scrape_configs": [
                {
                    "job_name": "loginguard",
                    "static_configs": [{"targets": [f"127.0.0.1:{server.port}"]}],
                }
            ],
        }
        (workdir / "prometheus.yml").write_text(json.dumps(config))
        port = free_port()
        with (workdir / "prometheus.log").open("ab") as log:
            started.append(
                subprocess.Popen(
                    [
                        PROMETHEUS,
                        f"--config.file={workdir / 'prometheus.yml'}",
                        f"--storage.tsdb.path={workdir / 'data'}",
                        f"--web.listen-address=127.0.0.1:{port}",
                        "--log.level=warn",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        return f"http://127.0.0.1:{port}"

    try:
        yield start
    finally:
        for proc in started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout(10))
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


async def until_ready(client: httpx.AsyncClient) -> None:
    deadline = asyncio.get_running_loop().time() + timeout(20)
    while True:
        try:
            if (await client.get("/-/ready")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert asyncio.get_running_loop().time() < deadline, "Prometheus never became ready"
        await asyncio.sleep(0.1)


async def until_scraped(client: httpx.AsyncClient) -> None:
    deadline = asyncio.get_running_loop().time() + timeout(10)
    while not await query(client, 'up{job="loginguard"} == 1'):
        assert asyncio.get_running_loop().time() < deadline, "the server was never scraped"
        await asyncio.sleep(0.1)


async def query(client: httpx.AsyncClient, expr: str) -> list[dict[str, Any]]:
    """The instant vector of ``expr``; fails if Prometheus cannot parse or run it."""
    r = await client.get("/api/v1/query", params={"query": expr})
    body = r.json()
    assert r.status_code == 200, f"{expr}\n{r.text}"
    assert body["status"] == "success", f"{expr}\n{r.text}"
    assert body["data"]["resultType"] == "vector", expr
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def finite(result: list[dict[str, Any]]) -> bool:
    return any(math.isfinite(float(sample["value"][1])) for sample in result)


#: Alerts that a healthy server never even brings to pending (the stall and latency ones
#: may, on a busy test machine).
QUIET = {
    "LoginGuardDown",
    "LoginGuardCrashLoop",
    "LoginGuardWorkerDied",
    "LoginGuardStoreUnreachable",
    "LoginGuardStoreErrors",
    "LoginGuardRateLimitDegraded",
    "LoginGuardContestedSpike",
    "LoginGuardLoginsRateLimited",
}

#: Panels whose every line the load below moves above zero.
MOVED_BY_THE_LOAD = (
    "Sockets held",
    "Logins/s admitted",
    "Displacements/s",
    "Contested accounts",
    "Kick latency",
    "Login latency",
    "Scrape target up",
)


async def load(server: ServerProcess) -> list[Socket]:
    """A displacement pushed to a socket, a wrong password, a contested account, and
    sockets left open."""
    first = await asyncio.to_thread(login, server, "user1", "PC-1")
    kicked = await connected(server, first["access_token"])
    held = [
        await connected(server, (await asyncio.to_thread(login, server, "user2"))["access_token"])
    ]
    second = await asyncio.to_thread(login, server, "user1", "PC-2")
    while (message := await kicked.next_message())["type"] != "displaced":
        assert message["type"] == "sessions", message
    held.append(await connected(server, second["access_token"]))
    async with httpx.AsyncClient(base_url=server.url, timeout=timeout(10)) as client:
        wrong = {**login_body("user2", "PC-9"), "password": "not-the-password"}
        assert (await client.post("/api/auth/login", json=wrong)).status_code == 401
        for i in range(6):  # --contest-limit 2: the third displacing login is refused
            r = await client.post("/api/auth/login", json=login_body("user3", f"PC-{i}"))
            if r.status_code == 429:
                assert r.json()["error"] == "account_contested"
                break
            assert r.status_code == 200, r.text
        else:
            raise AssertionError("user3 never became contested")
    return held


@needs_prometheus
async def test_every_panel_and_alert_evaluates_on_a_prometheus_scraping_two_workers(
    start_server: Callable[..., ServerProcess],
    redis_prefix: str,
    prometheus: Callable[[ServerProcess], str],
) -> None:
    """Prometheus scrapes a two-worker server under load; every panel's expression returns
    data, both variables have values (a worker each), and every alert rule evaluates."""
    server = start_server(
        "--demo",
        "--workers",
        "2",
        "--redis-url",
        REDIS_TEST_URL,
        "--redis-prefix",
        redis_prefix,
        "--contest-limit",
        "2",
    )
    url = prometheus(server)
    async with httpx.AsyncClient(base_url=url, timeout=timeout(10)) as client:
        await until_ready(client)
        await until_scraped(client)  # so that the rates see the load as an increase
        held = await load(server)

        board = dashboard()
        targets = [
            (p["title"], substituted(t["expr"])) for p in graphs(board) for t in p["targets"]
        ]
        deadline = asyncio.get_running_loop().time() + timeout(30)
        while True:
            missing = [
                (title, expr) for title, expr in targets if not finite(await query(client, expr))
            ]
            if not missing or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(1)
        assert not missing, "panels without data:\n" + "\n".join(map(str, missing))
        for title, expr in targets:
            if title.startswith(MOVED_BY_THE_LOAD):
                assert any(float(s["value"][1]) > 0 for s in await query(client, expr)), expr

        variables = {v["name"]: v for v in board["templating"]["list"]}
        for name in ("instance", "worker"):
            found = re.fullmatch(r"label_values\((.+), (\w+)\)", variables[name]["definition"])
            assert found, variables[name]["definition"]
            r = await client.get(
                f"/api/v1/label/{found.group(2)}/values",
                params={"match[]": substituted(found.group(1))},
            )
            values = r.json()["data"]
            assert len(values) == {"instance": 1, "worker": 2}[name], (name, values)

        for rule in alert_rules():
            await query(client, rule["expr"])  # parses and runs
        rules = await _evaluated_rules(client)
        assert {r["name"] for r in rules} == {r["alert"] for r in alert_rules()}
        bad = [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"]
        assert not bad, bad
        firing = [r["name"] for r in rules if r["state"] != "inactive" and r["name"] in QUIET]
        assert not firing, f"alerts pending or firing on a healthy server: {firing}"
    for sock in held:
        await sock.conn.close()


async def _evaluated_rules(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """The alert rules once Prometheus has evaluated each at least once."""
    deadline = asyncio.get_running_loop().time() + timeout(10)
    while True:
        groups = (await client.get("/api/v1/rules")).json()["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        if rules and all(rule["health"] != "unknown" for rule in rules):
            return rules
        assert asyncio.get_running_loop().time() < deadline, rules
        await asyncio.sleep(0.2)


@needs_prometheus
async def test_a_lost_redis_turns_the_store_alert_on_in_a_live_prometheus(
    start_server: Callable[..., ServerProcess], prometheus: Callable[[ServerProcess], str]
) -> None:
    """Redis stopping under a server brings LoginGuardStoreUnreachable to pending within
    seconds, with no request made meanwhile."""
    redis_proc = RedisProcess().start()
    try:
        server = start_server("--demo", "--redis-url", redis_proc.url)
        async with httpx.AsyncClient(base_url=prometheus(server), timeout=timeout(10)) as client:
            await until_ready(client)
            await until_scraped(client)
            assert _state(await _evaluated_rules(client), "LoginGuardStoreUnreachable") == (
                "inactive"
            )
            redis_proc.stop()
            deadline = asyncio.get_running_loop().time() + timeout(20)
            while _state(await _evaluated_rules(client), "LoginGuardStoreUnreachable") not in {
                "pending",
                "firing",
            }:
                assert asyncio.get_running_loop().time() < deadline, "the alert never came"
                await asyncio.sleep(0.5)
    finally:
        redis_proc.stop()


def _state(rules: list[dict[str, Any]], name: str) -> str:
    (state,) = [rule["state"] for rule in rules if rule["name"] == name]
    return str(state)
