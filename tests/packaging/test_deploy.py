"""The deployment examples in deploy/ hold up: systemd unit, Redis ACL user, nginx (TLS, wss)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis
import redis.asyncio
from websockets.asyncio.client import connect

from tests.support.clients import Socket, auth, connected, login
from tests.support.server import REDIS_TEST_URL, ROOT, ServerProcess, free_port, login_body, timeout

DEPLOY = ROOT / "deploy"
StartServer = Callable[..., ServerProcess]


# -- systemd ------------------------------------------------------------------------------


def _unit_settings(text: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_systemd_unit_is_hardened_and_reads_secrets_from_a_file() -> None:
    """The unit drops privileges, makes the system read-only and takes secrets from a file."""
    unit = _unit_settings((DEPLOY / "loginguard-server.service").read_text())
    assert unit["DynamicUser"] == ["yes"]
    assert unit["NoNewPrivileges"] == ["yes"]
    assert unit["ProtectSystem"] == ["strict"]
    assert unit["CapabilityBoundingSet"] == [""]
    assert unit["EnvironmentFile"] == ["/etc/loginguard/server.env"]
    assert int(unit["LimitNOFILE"][0]) >= 65536
    assert "LOGINGUARD_JWT_SECRET" not in "".join(unit.get("Environment", []))


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """systemd-analyze verify finds nothing to say about the unit (paths pointed at this venv)."""
    text = (DEPLOY / "loginguard-server.service").read_text()
    env_file = tmp_path / "server.env"
    env_file.write_text("")
    text = text.replace("/opt/loginguard-server/venv/bin", str(Path(sys.executable).parent))
    text = text.replace("/etc/loginguard/server.env", str(env_file))
    unit = tmp_path / "loginguard-server.service"
    unit.write_text(text)
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stderr.splitlines() if unit.name in line] == []


# -- Redis ACL -----------------------------------------------------------------------------


@contextlib.contextmanager
def private_redis(argv: list[str], pidfile: Path, admin: redis.Redis) -> Iterator[redis.Redis]:
    """Run ``redis-server *argv`` (daemonized, writing ``pidfile``) until the block ends.

    ``admin`` must reach it; the server is shut down afterwards, or killed by its pid
    when even that fails, so no test leaves a Redis behind.
    """
    subprocess.run(["redis-server", *argv], check=True)
    try:
        deadline = time.monotonic() + timeout(10)
        while True:
            try:
                admin.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield admin
    finally:
        pid = int(pidfile.read_text()) if pidfile.exists() else None
        # redis-py swallows the connection error SHUTDOWN normally ends with, so whether
        # it worked shows only in whether the process is gone.
        with contextlib.suppress(redis.RedisError):
            admin.shutdown(nosave=True)
        admin.close()
        if pid is not None and not _gone(pid, timeout(5)):
            os.kill(pid, signal.SIGKILL)


def _gone(pid: int, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def acl_redis(tmp_path: Path) -> Iterator[tuple[str, redis.Redis]]:
    """A private redis-server with deploy/redis-acl.conf included; (app URL, admin client)."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server not installed")
    password = secrets.token_urlsafe(24)
    digest = hashlib.sha256(password.encode()).hexdigest()
    acl = (DEPLOY / "redis-acl.conf").read_text()
    assert "#REPLACE_WITH_SHA256_OF_PASSWORD " in acl
    (tmp_path / "acl.conf").write_text(acl.replace("REPLACE_WITH_SHA256_OF_PASSWORD", digest))
    port = free_port()
    (tmp_path / "redis.conf").write_text(
        f'port {port}\nbind 127.0.0.1\nsave ""\nappendonly no\ndir {tmp_path}\n'
        f"logfile {tmp_path}/redis.log\ndaemonize yes\npidfile {tmp_path}/redis.pid\n"
        "user default on nopass ~* &* +@all\n"  # the test's own admin connection
        f"include {tmp_path}/acl.conf\n"
    )
    admin = redis.Redis(port=port, decode_responses=True)
    with private_redis([str(tmp_path / "redis.conf")], tmp_path / "redis.pid", admin):
        yield f"redis://loginguard:{password}@127.0.0.1:{port}/0", admin


async def test_the_acl_user_can_run_the_whole_server(
    start_server: StartServer, acl_redis: tuple[str, redis.Redis]
) -> None:
    """Two workers under the example ACL serve logins, pushes, admin pages and the users CLI,
    and Redis refuses none of their commands."""
    url, admin = acl_redis
    server = start_server("--demo", "--workers", "2", "--redis-url", url)

    pc1 = login(server, "user1", "PC-1")
    sock = await connected(server, pc1["access_token"])
    await asyncio.to_thread(login, server, "user1", "PC-2")
    assert (await sock.next_message(wait=2))["by"]["device_name"] == "PC-2"
    assert await sock.until_closed() == 4001
    await asyncio.to_thread(_rest_of_the_api, server, pc1["access_token"], url)
    assert admin.execute_command("ACL", "LOG") == []


def _rest_of_the_api(server: ServerProcess, displaced_token: str, redis_url: str) -> None:
    me = httpx.get(server.url + "/api/auth/me", headers=auth(displaced_token))
    assert me.json()["error"] == "session_displaced"
    wrong = httpx.post(server.url + "/api/auth/login", json={**login_body(), "password": "nope"})
    assert wrong.status_code == 401
    boss = auth(login(server, "admin", "ADMIN-PC")["access_token"])
    for _ in range(2):  # the second page comes from the store's page cache
        page = httpx.get(server.url + "/api/admin/sessions", headers=boss)
        assert page.status_code == 200, page.text
    kick = httpx.delete(server.url + "/api/admin/users/user1/sessions", headers=boss)
    assert kick.status_code == 200, kick.text
    assert httpx.get(server.url + "/readyz").status_code == 200
    listed = _cli(redis_url, "users", "list")
    assert "user3\tuser\tactive" in listed.stdout, listed.stderr
    events = httpx.get(server.url + "/api/admin/audit", headers=boss, params={"since": "0"})
    assert "login_failed" in [e["event"] for e in events.json()["events"]], events.text
    tail = _cli(redis_url, "audit", "tail", "--json", "--user", "user1")
    assert '"event": "ended"' in tail.stdout, tail.stderr


def _cli(redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m server *args`` on ``redis_url``, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=ROOT,
        env={**os.environ, "LOGINGUARD_REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=timeout(30),
    )


# -- TLS to Redis --------------------------------------------------------------------------


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A private redis-server that speaks only TLS and wants client certificates: (port, certs)."""
    if not shutil.which("redis-server") or not shutil.which("openssl"):
        pytest.skip("redis-server or openssl not installed")
    ca, key = tmp_path / "ca.pem", tmp_path / "ca.key"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=lg-ca",
             "-keyout", str(key), "-out", str(ca))  # fmt: skip
    (tmp_path / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    for name in ("redis", "client"):
        csr, pem, own_key = (tmp_path / f"{name}.{ext}" for ext in ("csr", "pem", "key"))
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                 "-keyout", str(own_key), "-out", str(csr))  # fmt: skip
        _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(key),
                 "-CAcreateserial", "-days", "1", "-extfile", str(tmp_path / "san.cnf"),
                 "-out", str(pem))  # fmt: skip
    port = free_port()
    admin = redis.Redis(
        host="127.0.0.1",
        port=port,
        ssl=True,
        ssl_ca_certs=str(ca),
        ssl_certfile=str(tmp_path / "client.pem"),
        ssl_keyfile=str(tmp_path / "client.key"),
    )
    argv = ["--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
            "--tls-cert-file", str(tmp_path / "redis.pem"), "--tls-key-file",
            str(tmp_path / "redis.key"), "--tls-ca-cert-file", str(ca), "--tls-auth-clients",
            "yes", "--save", "", "--appendonly", "no", "--dir", str(tmp_path), "--daemonize",
            "yes", "--pidfile", str(tmp_path / "redis.pid"), "--logfile",
            str(tmp_path / "redis.log")]  # fmt: skip
    with private_redis(argv, tmp_path / "redis.pid", admin):
        yield port, tmp_path


async def test_rediss_url_with_ca_and_client_certificate(
    start_server: StartServer, tls_redis: tuple[int, Path]
) -> None:
    """The server runs over rediss:// with the URL's CA and client certificate, and the
    server certificate is verified: without the CA the connection is refused."""
    port, certs = tls_redis
    client = f"ssl_certfile={certs / 'client.pem'}&ssl_keyfile={certs / 'client.key'}"
    url = f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={certs / 'ca.pem'}&{client}"
    server = start_server("--demo", "--redis-url", url)
    pc1 = await asyncio.to_thread(login, server, "user1", "PC-1")
    sock = await connected(server, pc1["access_token"])
    await asyncio.to_thread(login, server, "user1", "PC-2")
    assert (await sock.next_message(wait=2))["type"] == "displaced"

    # The same URL parsing as the server's connection pool (redis-py's from_url).
    no_ca = f"rediss://127.0.0.1:{port}/0?{client}"
    unverified = redis.asyncio.from_url(no_ca, socket_timeout=2, socket_connect_timeout=2)
    try:
        with pytest.raises(redis.ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            await unverified.ping()
    finally:
        await unverified.aclose()


# -- nginx ---------------------------------------------------------------------------------


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _nginx_site(backends: tuple[int, int], http: int, https: int, cert: Path, key: Path) -> str:
    """deploy/nginx.conf pointed at local ports and a throw-away certificate."""
    site = (DEPLOY / "nginx.conf").read_text()
    swaps = [
        (r"listen 80;", f"listen 127.0.0.1:{http};"),
        (r"listen 443 ssl;", f"listen 127.0.0.1:{https} ssl;"),
        (r"listen \[::\]:\d+( ssl)?;", ""),  # the test host may have no IPv6
        (r"server 127\.0\.0\.1:8000 ", f"server 127.0.0.1:{backends[0]} "),
        (r"server 127\.0\.0\.1:8001 ", f"server 127.0.0.1:{backends[1]} "),
        (r"ssl_certificate +\S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key +\S+;", f"ssl_certificate_key {key};"),
    ]
    for pattern, replacement in swaps:
        site, count = re.subn(pattern, replacement, site)
        assert count, f"deploy/nginx.conf no longer has {pattern!r}"
    return site


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[Callable[[tuple[int, int]], tuple[str, str]]]:
    """Start nginx with deploy/nginx.conf in front of two backend ports; (https, http) URLs."""
    if not shutil.which("nginx") or not shutil.which("openssl"):
        pytest.skip("nginx or openssl not installed")
    procs: list[subprocess.Popen[bytes]] = []

    def start(backends: tuple[int, int]) -> tuple[str, str]:
        http, https = free_port(), free_port()
        (tmp_path / "site.conf").write_text(
            _nginx_site(backends, http, https, *_self_signed(tmp_path))
        )
        user = "user root;\n" if os.geteuid() == 0 else ""
        (tmp_path / "nginx.conf").write_text(
            f"{user}pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
            "events {}\nhttp {\n"
            f"  access_log {tmp_path}/access.log;\n  include {tmp_path}/site.conf;\n}}\n"
        )
        cmd = ["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
        checked = subprocess.run([*cmd, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        procs.append(subprocess.Popen([*cmd, "-g", "daemon off;"]))
        deadline = time.monotonic() + timeout(10)
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{http}/", timeout=1)
                return f"https://127.0.0.1:{https}", f"http://127.0.0.1:{http}"
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError((tmp_path / "error.log").read_text())

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout(10))


def _sockets_open(server: ServerProcess) -> float:
    text = httpx.get(server.url + "/metrics").text
    return float(re.search(r"^loginguard_sockets (\S+)$", text, re.MULTILINE).group(1))  # type: ignore[union-attr]


async def test_nginx_terminates_tls_and_spreads_sockets_over_nodes(
    start_server: StartServer,
    redis_prefix: str,
    nginx: Callable[[tuple[int, int]], tuple[str, str]],
) -> None:
    """Through nginx: https and wss work, sockets land on both nodes, and a login on either
    displaces a socket on the other, naming the real client IP despite a forged header."""
    env = {"LOGINGUARD_PROXIES_COUNT": "1"}
    flags = ("--demo", "--redis-url", REDIS_TEST_URL, "--redis-prefix", redis_prefix)
    nodes = (start_server(*flags, env=env), start_server(*flags, env=env))
    https, http = nginx((nodes[0].port, nodes[1].port))
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE

    redirect = await asyncio.to_thread(httpx.get, http + "/healthz")
    assert redirect.status_code == 301
    assert redirect.headers["location"].startswith("https://")

    async with httpx.AsyncClient(base_url=https, verify=tls) as client:

        async def sign_in(user: str, device: str, **headers: str) -> str:
            r = await client.post("/api/auth/login", json=login_body(user, device), headers=headers)
            assert r.status_code == 200, r.text
            return str(r.json()["access_token"])

        sockets = []
        for user in ("user1", "user2", "user3", "admin"):
            token = await sign_in(user, f"{user}-PC-1")
            conn = await connect(
                https.replace("https", "wss") + "/ws",
                additional_headers=auth(token),
                ssl=tls,
                open_timeout=timeout(5),
            )
            sockets.append(Socket(conn))
            assert (await sockets[-1].next_message())["type"] == "hello"
        assert all(await asyncio.gather(*(asyncio.to_thread(_sockets_open, n) for n in nodes)))

        await sign_in("user1", "user1-PC-2", **{"X-Forwarded-For": "203.0.113.9"})
        displaced = await sockets[0].next_message(wait=2)
        assert displaced["by"] == {
            **displaced["by"],
            "device_name": "user1-PC-2",
            "ip": "127.0.0.1",
        }
        assert await sockets[0].until_closed() == 4001
        for sock in sockets[1:]:
            await sock.conn.close()
