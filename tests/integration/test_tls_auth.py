"""Security of the broker link, for real: TLS and user name/password.

A throwaway CA and server certificates are made with the openssl CLI; one
mosquitto runs two TLS listeners (one certificate for localhost/127.0.0.1,
one for "other.example" only), anonymous access off, a password file made
with mosquitto_passwd. floortrackd must:

(a) connect with the right credentials and CA, subscribe, store an event;
(b) with a wrong password, log a plain refusal and keep retrying, storing nothing;
(c) refuse a server certificate from an untrusted CA (and, with no ca_file,
    one the system trust store does not know), logging a TLS failure, retrying;
    with no ca_file, use OpenSSL's default trust store (SSL_CERT_FILE here);
(d) refuse a certificate for another host name unless verify_hostname = false;
(e) never show the password in its log or its command line;
(f) warn when the password file or config is readable by others;
and pick up a corrected password file on SIGHUP (reload);
and `--check-config` names the key of a missing or empty password file.
"""
import json
import os
import secrets
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Checks, Daemon, Workdir, binary, free_port, wait_for  # noqa: E402

USER = "floortrack"
TOPIC = "floor/tls/station-1"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2", "-subj", f"/CN=floortrack test {name}",
            cwd=d)
    return os.path.join(d, f"{name}.crt")


def make_server_cert(d, name, ca, cn, san):
    with open(os.path.join(d, f"{name}.ext"), "w") as f:
        f.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext", cwd=d)
    return os.path.join(d, f"{name}.crt"), os.path.join(d, f"{name}.key")


class TlsBroker:
    """mosquitto with two TLS listeners and a password file; no anonymous access."""

    def __init__(self, d, ca, good, other, password):
        self.dir = d
        self.port = free_port()
        self.other_port = free_port()
        self.ca = ca
        self.log = os.path.join(d, "mosquitto.log")
        self.passwd = os.path.join(d, "mosquitto.passwd")
        subprocess.run(["mosquitto_passwd", "-c", "-b", self.passwd, USER, password], check=True, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.chmod(self.passwd, 0o600)
        self.conf = os.path.join(d, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write(f"""user root
allow_anonymous false
password_file {self.passwd}
persistence false
log_dest file {self.log}
log_type error
log_type warning
log_type notice

listener {self.port} 127.0.0.1
cafile {ca}
certfile {good[0]}
keyfile {good[1]}

listener {self.other_port} 127.0.0.1
cafile {ca}
certfile {other[0]}
keyfile {other[1]}
""")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import socket

        def accepting():
            if self.proc.poll() is not None:
                raise AssertionError(f"mosquitto exited: {open(self.log).read() if os.path.exists(self.log) else ''}")
            try:
                for port in (self.port, self.other_port):
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        pass
                return True
            except OSError:
                return False
        wait_for(accepting, 10, "mosquitto TLS listeners")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def publish(self, payload, password):
        subprocess.run(["mosquitto_pub", "-h", "localhost", "-p", str(self.port), "--cafile", self.ca,
                        "-u", USER, "-P", password, "-q", "1", "-t", TOPIC, "-m", payload],
                       check=True, timeout=30, stdout=subprocess.DEVNULL)


def secure_daemon(root, name, uri, mqtt_lines, password=None, password_mode=0o600, config_mode=0o600):
    """A Daemon whose [mqtt] table carries the security keys; its own directory."""
    d = os.path.join(root, name)
    os.makedirs(d)
    daemon = Daemon(d, uri, client_id=f"floortrackd-{name}")
    lines = [f'uri = "{uri}"', f'client_id = "floortrackd-{name}"', "reconnect_min_ms = 50",
             "reconnect_max_ms = 400", "connect_timeout_s = 5"] + list(mqtt_lines)
    if password is not None:
        pw_file = os.path.join(d, "mqtt.password")
        with open(pw_file, "w") as f:
            f.write(password + "\n")  # trailing newline, as `echo` would write it
        os.chmod(pw_file, password_mode)
        lines += [f'username = "{USER}"', f'password_file = "{pw_file}"']
    with open(daemon.config, "w") as f:
        f.write("[mqtt]\n" + "\n".join(lines) + f'\n\n[storage]\npath = "{daemon.db}"\n\n[http]\nlisten = ""\n\n[log]\nlevel = "info"\n')
    os.chmod(daemon.config, config_mode)
    return daemon


def event(eid):
    return json.dumps({"event_id": eid, "order_id": "T1", "stage": "confirmed", "ts": "2026-10-01T00:00:00Z",
                       "value": 10, "customer_id": "c1"})


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().replace(b"\0", b" ").decode(errors="replace")


def run(checks):
    password = "pw-" + secrets.token_hex(12)
    wrong = "wrong-" + secrets.token_hex(12)
    with Workdir("tls") as tmp:
        pki = os.path.join(tmp, "pki")
        os.makedirs(pki)
        ca = make_ca(pki, "ca")
        untrusted_ca = make_ca(pki, "other-ca")
        good = make_server_cert(pki, "server", "ca", "localhost", "DNS:localhost,IP:127.0.0.1")
        other = make_server_cert(pki, "other", "ca", "other.example", "DNS:other.example")
        broker = TlsBroker(tmp, ca, good, other, password).start()
        daemons = []

        def start(*args, wait_subscribed=True, **kwargs):
            daemon = secure_daemon(tmp, *args, **kwargs)
            daemons.append(daemon)
            return daemon.start(wait_subscribed=wait_subscribed)

        try:
            # (a) right credentials and CA (mqtts:// scheme): connects, subscribes, stores.
            good_uri = f"mqtts://127.0.0.1:{broker.port}"
            a = start("good", good_uri, [f'ca_file = "{ca}"'], password=password)
            checks.true("(a) connected over TLS with user name and password", "connected to MQTT broker" in a.log_text())
            broker.publish(event("tls-1"), password)
            wait_for(lambda: a.event_count() >= 1, 20, "event stored over TLS")
            checks.eq("(a) event published over TLS is stored", a.event_count(), 1)
            checks.true("(a) no permission warning for mode 0600 files",
                        "readable by others" not in a.log_text(), a.log_text())

            # Failing daemons run side by side: their retries overlap in time.
            b = start("wrong-password", f"ssl://127.0.0.1:{broker.port}", [f'ca_file = "{ca}"'],
                      password=wrong, password_mode=0o644, config_mode=0o644, wait_subscribed=False)
            c = start("untrusted-ca", f"ssl://127.0.0.1:{broker.port}", [f'ca_file = "{untrusted_ca}"'],
                      password=password, wait_subscribed=False)
            c2 = start("system-store", f"ssl://127.0.0.1:{broker.port}", [], password=password,
                       wait_subscribed=False)
            d1 = start("hostname-checked", f"ssl://127.0.0.1:{broker.other_port}", [f'ca_file = "{ca}"'],
                       password=password, wait_subscribed=False)
            d2 = start("hostname-unchecked", f"ssl://127.0.0.1:{broker.other_port}",
                       [f'ca_file = "{ca}"', "verify_hostname = false"], password=password)
            checks.true("(d) verify_hostname = false: connects to a certificate for another host",
                        "subscribed to" in d2.log_text())
            # No ca_file: OpenSSL's default trust store, which SSL_CERT_FILE replaces.
            os.environ["SSL_CERT_FILE"] = ca
            try:
                c3 = start("system-store-with-ca", f"ssl://127.0.0.1:{broker.port}", [], password=password)
            finally:
                del os.environ["SSL_CERT_FILE"]
            checks.true("(c) no ca_file: the default trust store (here SSL_CERT_FILE) is used",
                        "subscribed to" in c3.log_text())

            b.wait_log("cannot connect to MQTT broker", 20, count=3)
            c.wait_log("cannot connect to MQTT broker", 20, count=3)
            c2.wait_log("cannot connect to MQTT broker", 20, count=3)
            d1.wait_log("cannot connect to MQTT broker", 20, count=3)
            broker.publish(event("tls-2"), password)
            time.sleep(0.5)

            blog = b.log_text()
            checks.true("(b) wrong password: refusal logged plainly",
                        "broker refused: not authorized" in blog, blog[-2000:])
            checks.true("(b) wrong password: retried (>= 2 attempts logged)",
                        blog.count("broker refused") >= 2, blog[-2000:])
            checks.true("(b) wrong password: daemon still running", b.alive())
            checks.eq("(b) wrong password: nothing stored", b.event_count(), 0)
            checks.true("(b) no 'connected' line with a wrong password", "connected to MQTT broker" not in blog)

            for label, daemon in [("(c) untrusted CA", c), ("(c) no ca_file, system trust store", c2)]:
                log = daemon.log_text()
                checks.true(f"{label}: TLS failure logged plainly",
                            "TLS handshake failed: " in log and "certificate verify failed" in log, log[-2000:])
                checks.true(f"{label}: retried (>= 2 attempts)", log.count("TLS handshake failed") >= 2, log[-2000:])
                checks.true(f"{label}: daemon still running, not connected",
                            daemon.alive() and "connected to MQTT broker" not in log)

            dlog = d1.log_text()
            checks.true("(d) host name mismatch refused with a plain TLS failure",
                        "TLS handshake failed: " in dlog and "host name" in dlog, dlog[-2000:])
            checks.true("(d) host name mismatch: retried, never connected",
                        dlog.count("TLS handshake failed") >= 2 and "connected to MQTT broker" not in dlog)

            # (e) the password is nowhere to be seen.
            for label, daemon, secret in [("good", a, password), ("wrong-password", b, wrong)]:
                checks.true(f"(e) {label}: password not in the log", secret not in daemon.log_text())
                checks.true(f"(e) {label}: password not on the command line", secret not in cmdline(daemon.proc.pid))
            ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, timeout=30).stdout
            checks.true("(e) password not in any `ps` command line",
                        password not in ps and wrong not in ps and "floortrackd" in ps)

            # (f) permission warnings.
            checks.true("(f) warns that the 0644 password file is readable by others",
                        "mqtt.password_file" in blog and "mode 0644) is readable by others; chmod 600" in blog,
                        blog[:2000])
            checks.true("(f) warns that the 0644 config file is readable by others",
                        f"config file {b.config} (mode 0644) is readable by others" in blog, blog[:2000])

            # The password file is read again on reload: fix it, SIGHUP, and the next attempt logs in.
            with open(os.path.join(b.workdir, "mqtt.password"), "w") as f:
                f.write(password + "\n")
            b.proc.send_signal(signal.SIGHUP)
            b.wait_log("subscribed to", 20)
            checks.true("(b) after fixing the password file and SIGHUP: connects and subscribes",
                        "connected to MQTT broker" in b.log_text())
            checks.true("(e) new password not in the log after reload", password not in b.log_text())

            for daemon in daemons:
                checks.eq(f"SIGTERM exits 0 ({os.path.basename(daemon.workdir)})", daemon.stop(), 0)
        finally:
            for daemon in daemons:
                if daemon.alive():
                    daemon.kill()
                daemon.stop()
            broker.stop()

        check_config_errors(checks, tmp, ca)


def check_config_errors(checks, tmp, ca):
    d = os.path.join(tmp, "check")
    os.makedirs(d)
    empty = os.path.join(d, "empty.password")
    open(empty, "w").close()
    cases = [
        ("missing password file", f'username = "u"\npassword_file = "{d}/nope"', "key 'mqtt.password_file'"),
        ("empty password file", f'username = "u"\npassword_file = "{empty}"', "key 'mqtt.password_file'"),
        ("ca_file without TLS", f'ca_file = "{ca}"', "key 'mqtt.ca_file'"),
        ("cert_file without key_file", f'uri = "ssl://h:8883"\ncert_file = "{ca}"', "key 'mqtt.key_file'"),
        ("verify_hostname not a boolean", 'uri = "ssl://h:8883"\nverify_hostname = "no"',
         "key 'mqtt.verify_hostname'"),
    ]
    for label, body, needle in cases:
        path = os.path.join(d, "c.toml")
        with open(path, "w") as f:
            f.write(f"[mqtt]\n{body}\n")
        p = subprocess.run([binary("floortrackd"), "--check-config", path], capture_output=True, text=True,
                           timeout=30)
        checks.true(f"--check-config {label}: exit 1 naming {needle}",
                    p.returncode == 1 and needle in p.stderr, f"exit {p.returncode}: {p.stderr}")


if __name__ == "__main__":
    started = time.monotonic()
    c = Checks()
    run(c)
    print(f"({time.monotonic() - started:.1f}s)")
    sys.exit(c.finish())
