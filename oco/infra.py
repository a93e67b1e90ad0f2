"""Local infrastructure as processes: Apache Kafka (KRaft) and FerretDB on loopback.

Binaries and data are cached outside the repository (`OCO_HOME`, default ~/.cache/oco).
`up` is idempotent: what already runs (its pid file names a live process answering on its
port) is reused. `down` stops only processes this module started, found by pid files.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
KAFKA_PORT = int(os.environ.get("OCO_LOCAL_KAFKA_PORT", "19092"))
CONTROLLER_PORT = KAFKA_PORT + 1
MONGO_PORT = int(os.environ.get("OCO_LOCAL_MONGO_PORT", "27027"))


class InfraError(RuntimeError):
    """Something the local infrastructure needs is missing; the message says what to do."""


def home() -> Path:
    path = Path(os.environ.get("OCO_HOME", Path.home() / ".cache" / "oco"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Server:
    name: str
    port: int

    @property
    def dir(self) -> Path:
        """Binaries, shared by every instance of this server."""
        path = home() / self.name
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def instance_dir(self) -> Path:
        """Data, pid and log of the instance on this port: the test suite's instance and the
        running system's never share data."""
        path = home() / f"{self.name}-{self.port}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def pid_file(self) -> Path:
        return self.instance_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.instance_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def running(self) -> bool:
        return self.pid() is not None and port_open(self.port)


KAFKA = Server("kafka", KAFKA_PORT)
FERRETDB = Server("ferretdb", MONGO_PORT)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _require(tool: str, hint: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise InfraError(f"`{tool}` is not installed: {hint}")
    return path


def _run(cmd: list[str], *, what: str, cwd: Path | None = None, timeout: int = 900, env=None) -> None:
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise InfraError(f"{what} took longer than {timeout}s; is the package registry reachable?") from None
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise InfraError(f"{what} failed:\n" + "\n".join(tail))


def _spawn(server: Server, cmd: list[str], *, cwd: Path) -> None:
    log = open(server.log_file, "ab")
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    server.pid_file.write_text(str(proc.pid))


def _wait_for_port(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(server.port):
            return
        if server.pid() is None:
            tail = server.log_file.read_text(errors="replace").splitlines()[-20:] if server.log_file.exists() else []
            raise InfraError(f"{server.name} exited during start-up; last log lines:\n" + "\n".join(tail))
        time.sleep(0.3)
    raise InfraError(f"{server.name} did not open port {server.port} within {timeout:.0f}s (log: {server.log_file})")


# --- Kafka --------------------------------------------------------------------------------


def _kafka_classpath() -> Path:
    """Resolve Kafka's jars from Maven Central once; re-resolve when the pom changes."""
    libs = KAFKA.dir / "libs"
    pom = DEPLOY / "kafka" / "pom.xml"
    stamp = KAFKA.dir / "libs.sha256"
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    if libs.is_dir() and stamp.exists() and stamp.read_text() == digest:
        return libs
    mvn = _require("mvn", "install Maven (apt-get install maven) to fetch Kafka from Maven Central")
    shutil.rmtree(libs, ignore_errors=True)
    _run(
        [mvn, "-B", "-q", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={libs}"],
        what="fetching Kafka 4.4.0 from Maven Central with mvn",
    )
    stamp.write_text(digest)
    return libs


def _kafka_properties() -> Path:
    data = KAFKA.instance_dir / "data"
    props = KAFKA.instance_dir / "server.properties"
    props.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.bootstrap.servers=127.0.0.1:{CONTROLLER_PORT}",
                f"listeners=PLAINTEXT://127.0.0.1:{KAFKA_PORT},CONTROLLER://127.0.0.1:{CONTROLLER_PORT}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{KAFKA_PORT}",
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                f"log.dirs={data}",
                "num.partitions=6",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=10",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                # Topics are created deliberately (oco topics create), never by a typo.
                "auto.create.topics.enable=false",
                "",
            ]
        )
    )
    return props


def start_kafka(timeout: float = 90) -> str:
    if KAFKA.running():
        return f"kafka already running at 127.0.0.1:{KAFKA_PORT} (pid {KAFKA.pid()})"
    if port_open(KAFKA_PORT):
        raise InfraError(f"port {KAFKA_PORT} is taken by a process oco did not start; set OCO_LOCAL_KAFKA_PORT")
    java = _require("java", "install Java 17 (apt-get install openjdk-17-jre-headless)")
    libs = _kafka_classpath()
    props = _kafka_properties()
    log4j = DEPLOY / "kafka" / "log4j2.yaml"
    base = [java, "-Xms256m", "-Xmx1g", f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{libs}/*"]
    if not (KAFKA.instance_dir / "data" / "meta.properties").exists():
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        _run(base + ["kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props), "--standalone"],
             what="formatting Kafka's storage", timeout=120)
    _spawn(KAFKA, base + ["kafka.Kafka", str(props)], cwd=KAFKA.instance_dir)
    _wait_for_port(KAFKA, timeout)
    _wait_for_kafka_metadata(timeout)
    return f"kafka started at 127.0.0.1:{KAFKA_PORT} (pid {KAFKA.pid()}, log {KAFKA.log_file})"


def _wait_for_kafka_metadata(timeout: float) -> None:
    """The port opens before the broker serves metadata; wait until an admin call works."""
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    async def ask() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=f"127.0.0.1:{KAFKA_PORT}", request_timeout_ms=5000)
        await admin.start()
        try:
            await admin.list_topics()
        finally:
            await admin.close()

    deadline = time.monotonic() + timeout
    while True:
        try:
            asyncio.run(ask())
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise InfraError(f"kafka is not answering metadata requests: {exc}") from None
            time.sleep(0.5)


# --- FerretDB -------------------------------------------------------------------------------


# FerretDB 1.24.2's SQLite backend indexes `_id` as `_ferretdb_sjson->"_id"` but looks it up
# as `_ferretdb_sjson->'$._id'`; SQLite uses an expression index only for the very same
# expression, so every find, update and delete by `_id` scanned the whole table (2.4 µs a row:
# a handled-ledger miss cost 50 ms at 20,000 documents, and grew with history). The build
# changes the lookup to `->'_id'` (the same JSON path, SQLite's short form), which the
# existing unique index serves. `tests/integration/test_store_indexes.py` checks the plan.
FERRETDB_PATCHES = [(
    "github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata/metadata.go",
    "IDColumn = DefaultColumn + \"->'$._id'\"",
    "IDColumn = DefaultColumn + \"->'_id'\"",
)]


FERRETDB_SOURCES = ("main.go", "go.mod", "go.sum")


def _ferretdb_binary() -> Path:
    """Build the embedded FerretDB program once (patched, see above); rebuild when its
    sources or the patches change."""
    src = DEPLOY / "ferretdb"
    binary = FERRETDB.dir / "bin" / "ferretdb-oco"
    stamp = FERRETDB.dir / "bin.sha256"
    sources = b"".join((src / n).read_bytes() for n in FERRETDB_SOURCES)
    digest = hashlib.sha256(sources + repr(FERRETDB_PATCHES).encode()).hexdigest()
    if binary.exists() and stamp.exists() and stamp.read_text() == digest:
        return binary
    go = _require("go", "install the Go toolchain (apt-get install golang) to build FerretDB")
    build = FERRETDB.dir / "build"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    for name in FERRETDB_SOURCES:
        shutil.copy2(src / name, build / name)
    env = {**os.environ, "CGO_ENABLED": os.environ.get("CGO_ENABLED", "0")}
    _run([go, "mod", "vendor"], what="fetching FerretDB v1.24.2's modules with go", cwd=build, env=env)
    _apply_patches(build / "vendor", FERRETDB_PATCHES)
    binary.parent.mkdir(parents=True, exist_ok=True)
    _run([go, "build", "-mod=vendor", "-o", str(binary), "."], what="building FerretDB v1.24.2 with go", cwd=build, env=env)
    shutil.rmtree(build, ignore_errors=True)  # 200+ MB of sources; Go's build cache keeps what a rebuild needs
    stamp.write_text(digest)
    return binary


def _apply_patches(vendor: Path, patches: list[tuple[str, str, str]]) -> None:
    """Replace each patch's line in the vendored sources; a line not found exactly once is an
    error (the dependency changed and the patch must be looked at again)."""
    for relative, old, new in patches:
        path = vendor / relative
        text = path.read_text()
        if text.count(old) != 1:
            raise InfraError(f"cannot patch {relative}: expected the line {old!r} once")
        path.write_text(text.replace(old, new))


def start_ferretdb(timeout: float = 60) -> str:
    binary = _ferretdb_binary()
    build = (FERRETDB.dir / "bin.sha256").read_text()
    running_build = FERRETDB.instance_dir / "running.sha256"
    restarted = ""
    if FERRETDB.running():
        if running_build.exists() and running_build.read_text() == build:
            return f"ferretdb already running at 127.0.0.1:{MONGO_PORT} (pid {FERRETDB.pid()})"
        # Started from an older build (one without the _id index fix, say): the data stays.
        restarted = f"; {stop(FERRETDB)} as it ran an older build"
    if port_open(MONGO_PORT):
        raise InfraError(f"port {MONGO_PORT} is taken by a process oco did not start; set OCO_LOCAL_MONGO_PORT")
    data = FERRETDB.instance_dir / "data"
    _spawn(FERRETDB, [str(binary), f"-listen=127.0.0.1:{MONGO_PORT}", f"-data={data}"], cwd=FERRETDB.instance_dir)
    running_build.write_text(build)
    _wait_for_port(FERRETDB, timeout)
    return (f"ferretdb started at mongodb://127.0.0.1:{MONGO_PORT}/ (pid {FERRETDB.pid()}, log {FERRETDB.log_file})"
            f"{restarted}")


# --- all -----------------------------------------------------------------------------------


def up() -> list[str]:
    return [start_ferretdb(), start_kafka()]


def stop(server: Server, timeout: float = 30) -> str:
    pid = server.pid()
    if pid is None:
        server.pid_file.unlink(missing_ok=True)
        return f"{server.name} is not running"
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.pid() is not None:
        time.sleep(0.2)
    if server.pid() is not None:
        os.kill(pid, signal.SIGKILL)
    server.pid_file.unlink(missing_ok=True)
    return f"{server.name} stopped (pid {pid})"


def down() -> list[str]:
    return [stop(KAFKA), stop(FERRETDB)]


def status() -> dict[str, dict]:
    return {
        "kafka": {"running": KAFKA.running(), "pid": KAFKA.pid(), "bootstrap": f"127.0.0.1:{KAFKA_PORT}", "log": str(KAFKA.log_file)},
        "ferretdb": {"running": FERRETDB.running(), "pid": FERRETDB.pid(), "url": f"mongodb://127.0.0.1:{MONGO_PORT}/", "log": str(FERRETDB.log_file)},
    }


def local_env() -> dict[str, str]:
    """The environment that points services at the local infrastructure."""
    return {"OCO_KAFKA_BOOTSTRAP": f"127.0.0.1:{KAFKA_PORT}", "OCO_MONGO_URL": f"mongodb://127.0.0.1:{MONGO_PORT}/"}
