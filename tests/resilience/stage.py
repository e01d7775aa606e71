"""The stage of `make resilience`: two app servers, each in a network namespace of its own, behind haproxy, against
the local PostgreSQL; and the faults (SIGKILL of a server, a PostgreSQL restart).

    clients --127.0.0.1:PORT--> haproxy --veth--> resil-a: gunicorn 10.213.1.2:8000 --veth--> haproxy (TCP)
                                        --veth--> resil-b: gunicorn 10.213.2.2:8000 --veth--> 10.213.x.1:5432
                                                                                              --> 127.0.0.1:5432

PostgreSQL keeps listening on 127.0.0.1 only: a namespace cannot reach the host's loopback, so haproxy also
relays TCP from each veth's host address (10.213.x.1:5432) to 127.0.0.1:5432, and PostgreSQL's configuration is
not touched (its pg_hba trusts 127.0.0.1, where the relayed connections come from). Traffic only goes to
127.0.0.0/8 and to the addresses this run gives its namespaces.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Server:
    name: str  # "a" or "b"
    index: int

    @property
    def netns(self) -> str:
        return f"resil-{self.name}"

    @property
    def host_if(self) -> str:
        return f"resil-{self.name}-h"

    @property
    def ns_if(self) -> str:
        return f"resil-{self.name}-n"

    @property
    def host_ip(self) -> str:
        return f"10.213.{self.index}.1"

    @property
    def ns_ip(self) -> str:
        return f"10.213.{self.index}.2"


SERVERS = (Server("a", 1), Server("b", 2))
APP_PORT = 8000
HAPROXY_CFG = """\
global
    maxconn 1024

defaults
    timeout connect 2s
    timeout client 60s
    timeout server 30s
    # A connection a server refused (it is down) goes to the other server; a request a server took is never sent
    # twice (haproxy retries connection failures only), so a POST is not repeated behind the person's back.
    retries 2
    option redispatch
    # No server connection is reused: a server killed in the middle of a request on a reused connection would
    # make haproxy close the client's connection with no answer (for the client to retry, as browsers do with
    # idempotent requests), where a person needs the clear 502 that says "try again".
    http-reuse never
    # One request per client connection as well: a request that was not the first on a kept-alive connection
    # and lost its server gets its connection closed with no answer (the client is expected to retry it).
    option httpclose

listen portal
    bind 127.0.0.1:{port}
    mode http
    option forwardfor
    balance roundrobin
    option httpchk GET /sign-in
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
{servers}

listen postgresql
    mode tcp
{pg_binds}
    timeout client 1h
    timeout server 1h
    server local 127.0.0.1:5432
"""


def audit_settings(out: Path) -> dict[str, str]:
    """The audit trail's key and checkpoint file, the same for both servers and for `flask audit verify`."""
    return {
        "PORTAL_AUDIT_KEYS": "resilience:" + "k" * 32,
        "PORTAL_AUDIT_CHECKPOINTS": str(out / "audit-checkpoints.jsonl"),
    }


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=check, capture_output=True, text=True)


class Stage:
    """Everything the run starts, and the one place that stops it all again."""

    def __init__(self, out: Path, database: str, secret_key: str, port: int):
        self.out = out
        self.database = database
        self.secret_key = secret_key
        self.port = port
        self.proxy: subprocess.Popen | None = None
        self.servers: dict[str, subprocess.Popen] = {}

    # --- network ------------------------------------------------------------------------------------------------

    def network_up(self) -> None:
        self.network_down()  # what an interrupted earlier run left
        for server in SERVERS:
            sh("ip", "netns", "add", server.netns)
            sh("ip", "link", "add", server.host_if, "type", "veth", "peer", "name", server.ns_if)
            sh("ip", "link", "set", server.ns_if, "netns", server.netns)
            sh("ip", "addr", "add", f"{server.host_ip}/30", "dev", server.host_if)
            sh("ip", "link", "set", server.host_if, "up")
            inside = ("ip", "netns", "exec", server.netns)
            sh(*inside, "ip", "addr", "add", f"{server.ns_ip}/30", "dev", server.ns_if)
            sh(*inside, "ip", "link", "set", server.ns_if, "up")
            sh(*inside, "ip", "link", "set", "lo", "up")

    def network_down(self) -> None:
        for server in SERVERS:
            sh("ip", "link", "del", server.host_if, check=False)  # deletes its peer too
            sh("ip", "netns", "del", server.netns, check=False)

    # --- proxy --------------------------------------------------------------------------------------------------

    def start_proxy(self) -> None:
        servers = "\n".join(f"    server {s.name} {s.ns_ip}:{APP_PORT} check" for s in SERVERS)
        pg_binds = "\n".join(f"    bind {s.host_ip}:5432" for s in SERVERS)
        config = self.out / "haproxy.cfg"
        config.write_text(HAPROXY_CFG.format(port=self.port, servers=servers, pg_binds=pg_binds))
        checked = sh("haproxy", "-c", "-q", "-f", str(config), check=False)
        if checked.returncode != 0:
            raise SystemExit(f"haproxy refused its configuration:\n{checked.stdout}{checked.stderr}")
        log = open(self.out / "haproxy.log", "w")  # noqa: SIM115 - kept open for the process's life
        self.proxy = subprocess.Popen(
            ["haproxy", "-db", "-f", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    # --- app servers --------------------------------------------------------------------------------------------

    def database_url(self, host: str) -> str:
        return f"postgresql+psycopg://postgres@{host}:5432/{self.database}"

    def start_server(self, server: Server) -> None:
        """gunicorn in the server's namespace (2 workers, the production configuration), reaching PostgreSQL
        through the relay on its veth's host address; returns once it answers."""
        env = {
            **os.environ,
            "PORTAL_ENV": "production",
            "PORTAL_SECRET_KEY": self.secret_key,
            "PORTAL_DATABASE_URL": self.database_url(server.host_ip),
            # The client's address comes from haproxy's X-Forwarded-For (option forwardfor), one hop back.
            "PORTAL_PROXY_HOPS": "1",
            **audit_settings(self.out),
            "PYTHONPATH": str(ROOT),
        }
        log = open(self.out / f"server-{server.name}.log", "a")  # noqa: SIM115 - kept open for the process's life
        # `ip netns exec` becomes gunicorn (exec), so the process group started here is the master and its workers.
        self.servers[server.name] = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                server.netns,
                str(BIN / "gunicorn"),
                "--workers",
                "2",
                "--bind",
                f"{server.ns_ip}:{APP_PORT}",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--forwarded-allow-ips",
                server.host_ip,
                "--chdir",
                str(ROOT),
                "--pythonpath",
                str(HERE),
                "wsgi:app",
            ],  # fmt: skip
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_until_answering(f"http://{server.ns_ip}:{APP_PORT}/sign-in", self.servers[server.name])

    def wait_until_answering(
        self, url: str, process: subprocess.Popen | None = None, seconds: int = 60
    ) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise SystemExit(f"{url}: the server exited (see {self.out}/server-*.log)")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own address
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.25)
        raise SystemExit(f"{url} did not answer within {seconds} s")

    def kill_server(self, server: Server) -> None:
        """SIGKILL the server's master and workers at once: no graceful anything, as a machine dying."""
        process = self.servers.pop(server.name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    # --- PostgreSQL ---------------------------------------------------------------------------------------------

    @staticmethod
    def cluster() -> tuple[str, str]:
        """(version, name) of the cluster on port 5432 (Debian's pg_lsclusters)."""
        for line in sh("pg_lsclusters", "--no-header").stdout.splitlines():
            version, name, port, *_ = line.split()
            if port == "5432":
                return version, name
        raise SystemExit("no PostgreSQL cluster on port 5432")

    def restart_postgres(self) -> float:
        """Restart PostgreSQL (fast shutdown: open connections are cut) and wait until it accepts connections;
        returns the seconds it was away."""
        version, name = self.cluster()
        started = time.monotonic()
        sh("pg_ctlcluster", version, name, "restart", "-m", "fast")
        self.wait_for_postgres()
        return time.monotonic() - started

    def wait_for_postgres(self, seconds: int = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if sh("pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432", check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise SystemExit("PostgreSQL did not come back")

    def ensure_postgres(self) -> None:
        """Whatever happened, leave PostgreSQL running for the rest of the machine."""
        if sh("pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432", check=False).returncode != 0:
            version, name = self.cluster()
            sh("pg_ctlcluster", version, name, "start", check=False)
            self.wait_for_postgres()

    # --- the end ------------------------------------------------------------------------------------------------

    def stop(self) -> None:
        for name in list(self.servers):
            process = self.servers.pop(name)
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
            except ProcessLookupError:
                process.wait()
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self.proxy is not None:
            self.proxy.terminate()
            try:
                self.proxy.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proxy.kill()
            self.proxy = None
        self.network_down()
        self.ensure_postgres()


def tools_missing() -> list[str]:
    return [
        tool
        for tool in ("ip", "haproxy", "pg_ctlcluster", "pg_isready", "psql")
        if shutil.which(tool) is None
    ]
