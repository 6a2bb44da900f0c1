"""The .deb and `cmake --install`, for real: build the package with CPack,
install it on this machine with dpkg, check what an operator gets, remove it.

The package must be the same whatever CMAKE_INSTALL_PREFIX its build was
configured with: a Debian package installs under /usr, and the paths
compiled into the binaries and written into the unit and the docs must be
where the package puts things. So this packages two builds: the one ctest
runs in (tools/test.sh configures it with /usr), and one configured with
CMake's defaults (prefix /usr/local), which this test configures and builds
itself (just floortrackd and floortrack) in <build>/package-default, unless
the ctest build already is one.

Needs root (dpkg). Touches the machine's package database, /etc/floortrack
and the floortrack user, and leaves none of it behind except the user (which
Debian packages keep on purge).
"""
import os
import re
import subprocess
import sys
import tempfile
import tomllib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Checks  # noqa: E402

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ["FLOORTRACK_BUILD_DIR"]
DEFAULT_BUILD = os.path.join(BUILD, "package-default")
CMAKE_DEFAULT_PREFIX = "/usr/local"
CONF = "/etc/floortrack/floortrack.toml"
UNIT = "/usr/lib/systemd/system/floortrack.service"
# What the package installs, besides directories.
PACKAGE_FILES = ("/usr/sbin/floortrackd", "/usr/bin/floortrack", CONF, UNIT,
                 "/usr/share/man/man8/floortrackd.8", "/usr/share/man/man1/floortrack.1",
                 "/usr/share/doc/floortrack/operations.md", "/usr/share/doc/floortrack/README.md",
                 "/usr/share/floortrack/index.html", "/usr/share/floortrack/dashboard.css",
                 "/usr/share/floortrack/dashboard.js")


def run(*cmd, check=True, **kw):
    r = subprocess.run(list(cmd), capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def cache_value(build, name):
    """A value from the build's CMakeCache.txt."""
    with open(os.path.join(build, "CMakeCache.txt")) as f:
        for line in f:
            m = re.match(rf"{name}:\w+=(.*)$", line.rstrip("\n"))
            if m:
                return m.group(1)
    raise AssertionError(f"{name} not in {build}/CMakeCache.txt")


def unit_settings(text):
    """The unit's Key=value lines, each key's values in order."""
    settings = {}
    for line in text.splitlines():
        m = re.match(r"([A-Za-z]+)=(.*)$", line)
        if m:
            settings.setdefault(m.group(1), []).append(m.group(2))
    return settings


def allowed_package_path(path):
    """Under /usr but not /usr/local (which is the local admin's, never a
    package's), or the config directory; or a directory above those."""
    if path == "/usr/local" or path.startswith("/usr/local/"):
        return False
    return (path in ("/", "/.", "/etc", "/usr") or path.startswith("/usr/")
            or path == "/etc/floortrack" or path.startswith("/etc/floortrack/"))


def default_build(checks):
    """A build configured with CMake's defaults (no CMAKE_INSTALL_PREFIX):
    the ctest build if it is one, else <build>/package-default, configured
    and built here. It takes the ctest build's build type (Debug compiles
    faster than the project's default); tests are off (not needed), and
    nothing but floortrackd and floortrack is built:
    CMAKE_SKIP_INSTALL_ALL_DEPENDENCY keeps cpack's preinstall step from
    building everything else."""
    if cache_value(BUILD, "CMAKE_INSTALL_PREFIX") == CMAKE_DEFAULT_PREFIX:
        return BUILD
    run("cmake", "-S", SOURCE, "-B", DEFAULT_BUILD, "-DFLOORTRACK_TESTS=OFF",
        "-DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON",
        "-DCMAKE_BUILD_TYPE=" + cache_value(BUILD, "CMAKE_BUILD_TYPE"))
    run("cmake", "--build", DEFAULT_BUILD, "-j", str(os.cpu_count() or 2),
        "--target", "floortrackd", "floortrack")
    checks.eq("the default-configured build has CMake's default prefix",
              cache_value(DEFAULT_BUILD, "CMAKE_INSTALL_PREFIX"), CMAKE_DEFAULT_PREFIX)
    return DEFAULT_BUILD


def check_installed_unit(checks, what, root, prefix, unit):
    """The unit under root (a DESTDIR, or "" for the machine) names this
    install's binary, config and docs."""
    s = unit_settings(open(root + unit).read())
    for key in ("ExecStartPre", "ExecStart"):
        argv = s.get(key, [""])[0].split()
        checks.eq(f"{what}: unit {key} runs {prefix}/sbin/floortrackd",
                  argv[:1], [f"{prefix}/sbin/floortrackd"])
        checks.true(f"{what}: unit {key}'s binary exists", argv and os.access(root + argv[0], os.X_OK))
        checks.eq(f"{what}: unit {key} names {CONF}", argv[-1:], [CONF])
    doc = s.get("Documentation", [""])[0].removeprefix("file:")
    checks.eq(f"{what}: unit Documentation= is the installed operations.md", doc,
              f"{prefix}/share/doc/floortrack/operations.md")
    checks.true(f"{what}: unit Documentation= exists", os.path.exists(root + doc), doc)


def test_cmake_install(checks, build):
    prefix = cache_value(build, "CMAKE_INSTALL_PREFIX")
    what = f"cmake --install (prefix {prefix})"
    with tempfile.TemporaryDirectory() as dest:
        env = dict(os.environ, DESTDIR=dest)
        run("cmake", "--install", build, env=env)
        conf = dest + CONF
        checks.true(f"{what}: floortrackd in {prefix}/sbin", os.path.exists(f"{dest}{prefix}/sbin/floortrackd"))
        checks.true(f"{what}: floortrack in {prefix}/bin", os.path.exists(f"{dest}{prefix}/bin/floortrack"))
        checks.true(f"{what}: example config in /etc/floortrack", os.path.exists(conf))
        unit = f"{prefix}/lib/systemd/system/floortrack.service"
        checks.true(f"{what}: unit in {prefix}/lib/systemd/system", os.path.exists(dest + unit))
        if os.path.exists(dest + unit):
            check_installed_unit(checks, what, dest, prefix, unit)
        if os.path.exists(conf):
            with open(conf, "a") as f:
                f.write("# edited by the operator\n")
            run("cmake", "--install", build, env=env)
            checks.true(f"{what} keeps an edited config", "edited by the operator" in open(conf).read())


def test_cmake_install_other_prefix(checks, build):
    """The unit follows a prefix chosen at install time, too."""
    prefix = "/opt/floortrack"
    with tempfile.TemporaryDirectory() as dest:
        run("cmake", "--install", build, "--prefix", prefix, env=dict(os.environ, DESTDIR=dest))
        unit = f"{prefix}/lib/systemd/system/floortrack.service"
        checks.true(f"cmake --install --prefix {prefix}: unit installed", os.path.exists(dest + unit))
        if os.path.exists(dest + unit):
            check_installed_unit(checks, f"cmake --install --prefix {prefix}", dest, prefix, unit)


def build_deb(checks, build):
    for f in os.listdir(build):
        if f.endswith(".deb"):
            os.remove(os.path.join(build, f))
    run("cpack", "-G", "DEB", cwd=build)
    debs = [f for f in os.listdir(build) if re.fullmatch(r"floortrack_[0-9.]+_amd64\.deb", f)]
    checks.eq(f"cpack in {build} builds one floortrack_<version>_amd64.deb", len(debs), 1)
    return os.path.join(build, debs[0])


def deb_contents(deb):
    """The package's paths ("/usr/sbin/floortrackd", directories too) and its unit's text."""
    names = run("dpkg-deb", "-c", deb).stdout.splitlines()
    paths = sorted("/" + line.split()[5].removeprefix("./").rstrip("/") for line in names)
    tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], capture_output=True, check=True).stdout
    unit = subprocess.run(["tar", "-xO", "." + UNIT], input=tar, capture_output=True).stdout.decode()
    return paths, unit


def mentioned_paths(text):
    """Absolute floortrack paths an operator reads in a man page or doc."""
    found = re.findall(r"(/(?:usr|etc|var/lib)/[A-Za-z0-9_./-]*floortrack[A-Za-z0-9_./-]*)", text)
    return sorted({p.rstrip(".,") for p in found})


def check_installed_package(checks, what):
    """Everything the installed package names exists where it says."""
    listed = run("dpkg", "-L", "floortrack").stdout.split()
    outside = [p for p in listed if not allowed_package_path(p)]
    checks.eq(f"{what}: every file is under /usr (not /usr/local) or in /etc/floortrack", outside, [])
    for path in PACKAGE_FILES:
        checks.true(f"{what}: installed {path}", path in listed and os.path.exists(path))
    check_installed_unit(checks, what, "", "/usr", UNIT)
    state_dir = "/var/lib/" + unit_settings(open(UNIT).read()).get("StateDirectory", [""])[0]

    # The defaults compiled into the binaries.
    for binary in ("/usr/sbin/floortrackd", "/usr/bin/floortrack"):
        m = re.search(r"--config TEXT=(\S+)", run(binary, "--help").stdout)
        default = m.group(1) if m else None
        checks.eq(f"{what}: {binary} --help shows the default config {CONF}", default, CONF)
        checks.true(f"{what}: {binary}'s default config exists", default and os.path.exists(default))
    with tempfile.NamedTemporaryFile("w", suffix=".toml") as minimal:
        # No [storage] path: the CLI names the compiled-in default database.
        minimal.write('[mqtt]\nuri = "tcp://127.0.0.1:1883"\n')
        minimal.flush()
        r = run("/usr/bin/floortrack", "--config", minimal.name, "kpi", check=False)
        m = re.search(r"floortrack: (\S+): no such database file", r.stderr)
        db = m.group(1) if m else None
    checks.true(f"{what}: the default database is in the unit's StateDirectory {state_dir}",
                db and os.path.dirname(db) == state_dir, r.stderr)
    checks.eq(f"{what}: the installed config's storage.path is the compiled-in default",
              tomllib.load(open(CONF, "rb")).get("storage", {}).get("path"), db)
    home = run("getent", "passwd", "floortrack", check=False).stdout.split(":")
    checks.true(f"{what}: created the floortrack user, home {state_dir}",
                len(home) > 5 and home[5] == state_dir, home)

    # What the man pages and operations.md tell an operator.
    for doc in ("/usr/share/man/man8/floortrackd.8", "/usr/share/man/man1/floortrack.1",
                "/usr/share/doc/floortrack/operations.md"):
        for path in mentioned_paths(open(doc).read()):
            if path.startswith("/var/lib/"):
                checks.true(f"{what}: {doc} names {path}, in {state_dir}",
                            path == state_dir or path.startswith(state_dir + "/"))
            else:
                checks.true(f"{what}: {doc} names {path}, which exists", os.path.exists(path))

    checks.true(f"{what}: enabled nothing",
                not os.path.exists("/etc/systemd/system/multi-user.target.wants/floortrack.service"))
    r = run("/usr/sbin/floortrackd", "--check-config", CONF, check=False)
    checks.eq(f"{what}: floortrackd --check-config on the installed config exits 0", r.returncode, 0)
    r = run("systemd-analyze", "verify", UNIT, check=False)
    checks.true(f"{what}: systemd-analyze verify passes", r.returncode == 0 and not r.stderr.strip(), r.stderr)
    r = run("systemd-analyze", "security", "--offline=yes", UNIT, check=False)
    m = re.search(r"Overall exposure level for floortrack.service: ([0-9.]+)", r.stdout)
    level = float(m.group(1)) if m else 99
    print(f"systemd-analyze security exposure: {level}")
    checks.true(f"{what}: systemd-analyze security exposure <= 2.0", level <= 2.0, r.stdout[-300:])


def test_deb(checks, deb, what):
    paths, _ = deb_contents(deb)
    outside = [p for p in paths if not allowed_package_path(p)]
    checks.eq(f"{what}: package holds nothing outside /usr (not /usr/local) and /etc/floortrack", outside, [])
    checks.true(f"{what}: package holds the unit {UNIT}", UNIT in paths)
    info = run("dpkg-deb", "-f", deb, "Depends").stdout
    for dep in ("libpaho-mqttpp3", "libsqlite3", "libsystemd0", "adduser", "libjs-chart.js"):
        checks.true(f"{what}: package depends on {dep}", dep in info, info)
    run("dpkg", "--purge", "floortrack", check=False)
    try:
        run("dpkg", "-i", deb)
        check_installed_package(checks, what)
        with open(CONF, "a") as f:
            f.write("# edited by the operator\n")
        run("dpkg", "-i", deb)
        checks.true(f"{what}: reinstall keeps the edited config", "edited by the operator" in open(CONF).read())
    finally:
        run("dpkg", "--purge", "floortrack", check=False)
    checks.true(f"{what}: purge removes the binaries and the unit",
                not os.path.exists("/usr/sbin/floortrackd") and not os.path.exists(UNIT))


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("SKIP: dpkg needs root")
        sys.exit(0)
    c = Checks()
    builds = [BUILD]
    default = default_build(c)
    if default != BUILD:
        builds.append(default)
    for build in builds:
        test_cmake_install(c, build)
    test_cmake_install_other_prefix(c, BUILD)
    debs = {}
    for build in builds:
        prefix = cache_value(build, "CMAKE_INSTALL_PREFIX")
        debs[prefix] = build_deb(c, build)
        test_deb(c, debs[prefix], f"deb of a build with prefix {prefix}")
    # The prefix a build was configured with makes no difference to its package.
    contents = {prefix: deb_contents(deb) for prefix, deb in debs.items()}
    (first, (first_paths, first_unit)), *others = contents.items()
    for prefix, (paths, unit) in others:
        c.eq(f"debs of prefix {prefix} and {first}: same files", paths, first_paths)
        c.eq(f"debs of prefix {prefix} and {first}: same unit", unit, first_unit)
    sys.exit(c.finish())
