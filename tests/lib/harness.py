"""Test harness: a private mosquitto, the real floortrackd and floortrack binaries.

Everything listens on 127.0.0.1 on a port the OS picked as free. Each test gets
its own temporary directory; everything is stopped at the end.
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time

BIN_DIR = os.environ.get("FLOORTRACK_BIN_DIR", os.path.join(os.getcwd(), "bin"))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def binary(name):
    path = os.path.join(BIN_DIR, name)
    if not os.path.exists(path):
        raise AssertionError(f"{path} not built (set FLOORTRACK_BIN_DIR)")
    return path


class Broker:
    """mosquitto with the settings docs/broker.md asks for."""

    def __init__(self, workdir, port=None, extra_conf=""):
        self.workdir = workdir
        self.port = port or free_port()
        self.conf = os.path.join(workdir, "mosquitto.conf")
        self.log = os.path.join(workdir, "mosquitto.log")
        persistence = os.path.join(workdir, "mosquitto-data") + "/"
        os.makedirs(persistence, exist_ok=True)
        with open(self.conf, "w") as f:
            f.write(f"""user root
listener {self.port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {persistence}
autosave_interval 1
max_queued_messages 0
max_inflight_messages 100
log_dest file {self.log}
log_type error
log_type warning
log_type notice
{extra_conf}
""")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._accepting, 10, f"mosquitto on port {self.port}")
        return self

    def _accepting(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"mosquitto exited: {open(self.log).read() if os.path.exists(self.log) else ''}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise AssertionError("mosquitto did not stop on SIGTERM within 10 s")
        self.proc = None

    @property
    def uri(self):
        return f"tcp://127.0.0.1:{self.port}"

    def publish_lines(self, topic, payloads, qos=1):
        """Publishes each payload (bytes or str) as one message via mosquitto_pub -l."""
        data = b"".join((p.encode() if isinstance(p, str) else p) + b"\n" for p in payloads)
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-q", str(qos),
                        "-t", topic, "-l"], input=data, check=True, timeout=120)

    def publish(self, topic, payload, qos=1):
        data = payload.encode() if isinstance(payload, str) else payload
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-q", str(qos),
                        "-t", topic, "-s"], input=data, check=True, timeout=30)

    def try_publish(self, topic, payload, qos=1):
        """Like publish() but returns mosquitto_pub's exit code instead of raising."""
        data = payload.encode() if isinstance(payload, str) else payload
        return subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-q", str(qos),
                               "-t", topic, "-s"], input=data, timeout=30,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


class Daemon:
    """floortrackd with a config file in the test's directory."""

    def __init__(self, workdir, broker_uri, extra="", client_id="floortrackd-test", prices=None,
                 storage="", db=None, http='listen = ""'):
        """storage: extra lines for the [storage] table; db: database path (default in workdir);
        http: the lines of the [http] table (default: no HTTP listener)."""
        self.workdir = workdir
        self.db = db or os.path.join(workdir, "floortrack.db")
        self.config = os.path.join(workdir, "floortrack.toml")
        self.log_path = os.path.join(workdir, "floortrackd.log")
        prices = prices if prices is not None else {"castable-resin": 0.30, "silver-925": 0.90}
        price_lines = "\n".join(f'"{k}" = {v}' for k, v in prices.items())
        with open(self.config, "w") as f:
            f.write(f"""[mqtt]
uri = "{broker_uri}"
client_id = "{client_id}"
reconnect_min_ms = 50
reconnect_max_ms = 1000

[storage]
path = "{self.db}"
{storage}

[http]
{http}

[material_cost_per_g]
{price_lines}

[log]
level = "info"
{extra}
""")
        self.proc = None
        self._log = None

    def start(self, wait_subscribed=True):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([binary("floortrackd"), "--config", self.config],
                                     stdout=self._log, stderr=self._log)
        if wait_subscribed:
            self.wait_log("subscribed to", 20)
        return self

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_log(self, text, timeout, count=1):
        def seen():
            if self.proc.poll() is not None:
                raise AssertionError(f"floortrackd exited with {self.proc.returncode}:\n{self.log_text()}")
            return self.log_text().count(text) >= count
        wait_for(seen, timeout, f"'{text}' in the floortrackd log")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise AssertionError(f"floortrackd did not exit within {timeout}s of signal {sig}")
        code = self.proc.returncode if self.proc else None
        if self._log:
            self._log.close()
            self._log = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def event_count(self):
        return count_rows(self.db, "events")

    def event_keys(self):
        return event_keys(self.db)

    def reject_count(self):
        return count_rows(self.db, "rejects")

    def cli(self, *args, check=True):
        return run_cli(["--db", self.db, *args], check=check, config=self.config)


def count_rows(db, table):
    if not os.path.exists(db):
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def event_keys(db):
    """Every stored event_key, as a list (so duplicates would show)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return [r[0] for r in conn.execute("SELECT event_key FROM events")]
    finally:
        conn.close()


def query(db, sql, args=()):
    """Rows of one read-only query, or None when the database cannot answer it."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()


def derived_key(topic, payload):
    """The event_key floortrackd derives for a payload without event_id (adapters/event_key.h)."""
    data = payload.encode() if isinstance(payload, str) else payload
    return "sha256:" + hashlib.sha256(topic.encode() + b"\0" + data).hexdigest()


def sha256_file(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Publisher(threading.Thread):
    """Publishes chunks of payloads with mosquitto_pub -l from a background thread.

    chunks: list of lists of payloads (str, one line each); pause: seconds between chunks.
    A chunk whose mosquitto_pub fails is retried (at-least-once from the publisher's side,
    like a device that resends until acknowledged); duplicates are the daemon's business.
    """

    def __init__(self, broker, topic, chunks, pause=0.0):
        super().__init__(daemon=True)
        self.broker, self.topic, self.chunks, self.pause = broker, topic, chunks, pause
        self.sent = 0
        self.retries = 0
        self.error = None
        self.stop_flag = threading.Event()

    def run(self):
        try:
            for chunk in self.chunks:
                while not self.stop_flag.is_set():
                    try:
                        self.broker.publish_lines(self.topic, chunk)
                        break
                    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                        self.retries += 1
                        time.sleep(0.2)
                if self.stop_flag.is_set():
                    return
                self.sent += len(chunk)
                if self.pause:
                    time.sleep(self.pause)
        except Exception as e:  # reported by the test
            self.error = e


def run_cli(args, check=True, config=None):
    cmd = [binary("floortrack")]
    if config:
        cmd += ["--config", config]
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"floortrack {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc


def cli_json(daemon, *args):
    return json.loads(daemon.cli(*args, "--json").stdout)


class Workdir:
    def __init__(self, name):
        self.path = tempfile.mkdtemp(prefix=f"floortrack-{name}-")

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        if exc[0] is None or os.environ.get("FLOORTRACK_KEEP_TMP") is None:
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            print(f"kept {self.path}")


class Checks:
    """Counts named checks; prints one line per check and a closing summary."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def eq(self, name, got, want):
        ok = got == want
        self._report(name, ok, f"got {got!r}, want {want!r}")

    def near(self, name, got, want, tol=1e-6):
        ok = got is not None and want is not None and abs(got - want) <= tol
        self._report(name, ok, f"got {got!r}, want {want!r} (+-{tol})")

    def true(self, name, cond, detail=""):
        self._report(name, bool(cond), detail)

    def _report(self, name, ok, detail):
        if ok:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}: {detail}")

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        return 0 if self.failed == 0 else 1
