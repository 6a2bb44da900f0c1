"""The .deb and `cmake --install`, for real: build the package with CPack,
install it on this machine with dpkg, check what an operator gets, remove it.

Needs root (dpkg). Touches the machine's package database, /etc/floortrack
and the floortrack user, and leaves none of it behind except the user (which
Debian packages keep on purge).
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Checks  # noqa: E402

BUILD = os.environ["FLOORTRACK_BUILD_DIR"]
CONF = "/etc/floortrack/floortrack.toml"


def run(*cmd, check=True, **kw):
    r = subprocess.run(list(cmd), capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def unit_path():
    for d in ("/usr/lib/systemd/system", "/lib/systemd/system"):
        if os.path.exists(f"{d}/floortrack.service"):
            return f"{d}/floortrack.service"
    return None


def test_cmake_install(checks):
    with tempfile.TemporaryDirectory() as dest:
        env = dict(os.environ, DESTDIR=dest)
        run("cmake", "--install", BUILD, env=env)
        conf = dest + CONF
        checks.true("cmake --install: floortrackd in sbin", os.path.exists(dest + "/usr/sbin/floortrackd"))
        checks.true("cmake --install: floortrack in bin", os.path.exists(dest + "/usr/bin/floortrack"))
        checks.true("cmake --install: example config in /etc/floortrack", os.path.exists(conf))
        with open(conf, "a") as f:
            f.write("# edited by the operator\n")
        run("cmake", "--install", BUILD, env=env)
        checks.true("cmake --install keeps an edited config", "edited by the operator" in open(conf).read())


def test_deb(checks):
    run("cpack", "-G", "DEB", cwd=BUILD)
    debs = [f for f in os.listdir(BUILD) if re.fullmatch(r"floortrack_[0-9.]+_amd64\.deb", f)]
    checks.eq("cpack builds one floortrack_<version>_amd64.deb", len(debs), 1)
    deb = os.path.join(BUILD, debs[0])
    info = run("dpkg-deb", "-f", deb, "Depends").stdout
    for dep in ("libpaho-mqttpp3", "libsqlite3", "libsystemd0", "adduser"):
        checks.true(f"package depends on {dep}", dep in info, info)
    run("dpkg", "--purge", "floortrack", check=False)
    try:
        run("dpkg", "-i", deb)
        for path in ("/usr/sbin/floortrackd", "/usr/bin/floortrack", CONF,
                     "/usr/share/man/man8/floortrackd.8", "/usr/share/man/man1/floortrack.1",
                     "/usr/share/doc/floortrack/operations.md"):
            checks.true(f"installed {path}", os.path.exists(path))
        unit = unit_path()
        checks.true("installed the systemd unit", unit is not None)
        checks.true("created the floortrack user", run("getent", "passwd", "floortrack", check=False).returncode == 0)
        checks.true("enabled nothing", not os.path.exists("/etc/systemd/system/multi-user.target.wants/floortrack.service"))
        r = run("/usr/sbin/floortrackd", "--check-config", CONF, check=False)
        checks.eq("floortrackd --check-config on the installed config exits 0", r.returncode, 0)
        r = run("systemd-analyze", "verify", unit, check=False)
        checks.true("systemd-analyze verify passes", r.returncode == 0 and not r.stderr.strip(), r.stderr)
        r = run("systemd-analyze", "security", "--offline=yes", unit, check=False)
        m = re.search(r"Overall exposure level for floortrack.service: ([0-9.]+)", r.stdout)
        level = float(m.group(1)) if m else 99
        print(f"systemd-analyze security exposure: {level}")
        checks.true("systemd-analyze security exposure <= 2.0", level <= 2.0, r.stdout[-300:])
        with open(CONF, "a") as f:
            f.write("# edited by the operator\n")
        run("dpkg", "-i", deb)
        checks.true("reinstall keeps the edited config", "edited by the operator" in open(CONF).read())
    finally:
        run("dpkg", "--purge", "floortrack", check=False)
    checks.true("purge removes the binaries", not os.path.exists("/usr/sbin/floortrackd"))


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("SKIP: dpkg needs root")
        sys.exit(0)
    c = Checks()
    test_cmake_install(c)
    test_deb(c)
    sys.exit(c.finish())
