"""A private hostmail installation for one test: its own folder, config and
directory database, and a helper to run the real binary's commands."""

import json
import math
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

BIN = os.environ.get("HOSTMAIL_BIN", "hostmail")
# What `hostmail serve` runs as when the tests run as root.
VMAIL_USER, VMAIL_GROUP = "nobody", "nogroup"
# `hostmail init` run as root creates its --vmail-user when missing (default
# "vmail"): the tests name one that exists, so the machine is left as found.
INIT_ARGS = ["--vmail-user", VMAIL_USER] if os.geteuid() == 0 else []
DATA = os.environ.get("HOSTMAIL_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
# Runs under AddressSanitizer on a busy machine are several times slower:
# they set this factor (tests/e2e/CMakeLists.txt), and tests scale the
# timeouts they configure and the times they allow with it.
TIME_FACTOR = float(os.environ.get("HOSTMAIL_TEST_TIME_FACTOR", "1"))
SERVICES = ("smtp", "submission", "smtps", "imap", "imaps", "pop3", "pop3s", "admin")


def scaled(seconds):
    """`seconds` times TIME_FACTOR, as a whole number of seconds (what the
    configuration's *_s options take)."""
    return max(1, int(math.ceil(seconds * TIME_FACTOR)))

# A run as an ordinary user on purpose (a developer's): tests that need root
# skip. Otherwise they fail when not root: CI runs as root, and a silent
# skip there would hide what they test.
UNPRIVILEGED = os.environ.get("HOSTMAIL_TEST_UNPRIVILEGED") == "1"


def _failing_setup(message):
    def setUp(self):
        self.fail(message)
    return setUp


def needs_root(why):
    """Class decorator for tests that need root (see UNPRIVILEGED)."""
    def decorate(cls):
        if os.geteuid() == 0:
            return cls
        if UNPRIVILEGED:
            return unittest.skip("needs root: " + why)(cls)
        cls.setUp = _failing_setup("needs root: %s (CI runs as root; "
                                   "HOSTMAIL_TEST_UNPRIVILEGED=1 makes this a skip)" % why)
        return cls
    return decorate


def needs_tools(*names):
    """Class decorator for tests that run these programs: scripts/setup-deps.sh
    installs them, so one missing fails the tests instead of skipping them."""
    def decorate(cls):
        missing = [n for n in names if not shutil.which(n)]
        if missing:
            cls.setUp = _failing_setup("%s not installed (scripts/setup-deps.sh installs it)"
                                       % ", ".join(missing))
        return cls
    return decorate


_handed_out = set()


def read_reply(f):
    """Reads one (possibly multi-line) SMTP reply from a socket's file;
    returns (code, text)."""
    lines = []
    while True:
        line = f.readline().decode()
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            return int(line[:3]), "".join(lines)


def free_port():
    """A loopback port nobody listens on right now, and not one this process
    handed out before: the kernel may give the same ephemeral port to two
    binds in a row once the first socket is closed, and two services of one
    configuration on one port is a configuration error."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no free loopback port found in 100 tries")


def listening_socket_inode(port):
    """The inode of the socket listening on 127.0.0.1:`port`, from
    /proc/net/tcp (None when there is none)."""
    want = "0100007F:%04X" % port
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == want and fields[3] == "0A":  # 0A: LISTEN
                return fields[9]
    return None


def socket_inodes(pid):
    """The inodes of the sockets process `pid` holds open."""
    found = set()
    fd_dir = "/proc/%d/fd" % pid
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return found
    for fd in names:
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[len("socket:["):-1])
    return found


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"exit {self.code}\nstdout: {self.out}\nstderr: {self.err}"


class HostmailTestCase(unittest.TestCase):
    """Each test gets `hostmail init` in a fresh temporary folder."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="hm-e2e-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        r = self.run_hm("init", "--dir", self.dir, *INIT_ARGS, use_config=False)
        self.assertEqual(r.code, 0, r)
        self.config = os.path.join(self.dir, "hostmail.toml")
        self.assign_ports()
        with open(self.config) as f:
            text = f.read()
        if os.geteuid() == 0:
            # `hostmail serve` started as root drops to vmail_user; the
            # machine may have no "vmail", so the tests use nobody.
            text = re.sub(r'(?m)^vmail_user = .*$', 'vmail_user = "%s"' % VMAIL_USER, text)
            text = re.sub(r'(?m)^vmail_group = .*$', 'vmail_group = "%s"' % VMAIL_GROUP, text)
        # The machine's /etc/aliases is not the tests' business: each test
        # gets its own aliases file, empty until it writes one.
        self.aliases = os.path.join(self.dir, "aliases")
        open(self.aliases, "w").close()
        text = re.sub(r'(?m)^aliases = .*$', 'aliases = "%s"' % self.aliases, text)
        # Mail for other domains goes through the relay, which asks DNS: in
        # the tests only a loopback port where no server answers, so nothing
        # leaves the machine (a test that relays points it at its own).
        text += '\n[relay]\ndns_servers = ["127.0.0.1:%d"]\ndns_timeout_ms = 200\ndns_tries = 1\n' % (
            free_port())
        with open(self.config, "w") as f:
            f.write(text)
        self.maildirs = os.path.join(self.dir, "vmail", "domains")
        self.server = None

    def set_option(self, table, key, value):
        """Sets `key = value` (value as TOML text) in [table] of the config."""
        with open(self.config) as f:
            text = f.read()
        text, n = re.subn(r"(?m)^#? ?%s = .*$" % key, "%s = %s" % (key, value), text, count=1)
        if n == 0:
            text = text.replace("[%s]\n" % table, "[%s]\n%s = %s\n" % (table, key, value), 1)
        with open(self.config, "w") as f:
            f.write(text)

    def assign_ports(self):
        """Private ports for every listener, so tests can run side by side."""
        self.ports = {service: free_port() for service in SERVICES}
        with open(self.config) as f:
            text = f.read()
        for service, port in self.ports.items():
            text = re.sub(r'(?m)^%s = \["127\.0\.0\.1:\d+"\]' % service,
                          '%s = ["127.0.0.1:%d"]' % (service, port), text)
        with open(self.config, "w") as f:
            f.write(text)

    def start_server(self, preexec_fn=None):
        """Starts `hostmail serve` and waits until SMTP answers. `preexec_fn`
        runs in the child before exec (to set its limits, say).

        free_port() cannot reserve a port: another program may take it
        before the daemon binds. The daemon then exits saying the port is in
        use, and the test tries again on fresh ports."""
        if os.geteuid() == 0:
            # The folders the daemon writes must be vmail's (it chowns only
            # its own files, see docs/operations.md).
            for folder in ("", "state", "vmail", "vmail/domains"):
                path = os.path.join(self.dir, folder)
                os.makedirs(path, exist_ok=True)
                shutil.chown(path, VMAIL_USER, VMAIL_GROUP)
        for attempt in range(5):
            if self.try_start_server(preexec_fn):
                return self.server
            self.assign_ports()
        self.fail("hostmail serve found its ports taken 5 times: " + self.server_log())

    def try_start_server(self, preexec_fn):
        """Starts the daemon; False when it exited because a port was taken."""
        log_path = os.path.join(self.dir, "serve.log")
        log_start = os.path.getsize(log_path) if os.path.exists(log_path) else 0
        log = open(log_path, "a")
        self.addCleanup(log.close)
        self.server = subprocess.Popen([BIN, "--config", self.config, "serve"],
                                       stdout=log, stderr=subprocess.STDOUT,
                                       preexec_fn=preexec_fn)
        self.addCleanup(self.stop_server)
        deadline = time.time() + scaled(20)
        while time.time() < deadline:
            if self.server.poll() is not None:
                if "the port is in use by another program" in self.server_log()[log_start:]:
                    return False
                self.fail("hostmail serve exited: " + self.server_log())
            if self.own_smtp_listener():
                return True
            time.sleep(0.05)
        self.fail("hostmail serve did not listen: " + self.server_log())

    def own_smtp_listener(self):
        """True once the SMTP port answers with a hostmail greeting from a
        socket that our daemon holds (not some other program that took the
        port, nor a daemon of another test)."""
        listener = listening_socket_inode(self.ports["smtp"])
        if listener is None or listener not in socket_inodes(self.server.pid):
            return False
        try:
            with socket.create_connection(("127.0.0.1", self.ports["smtp"]), timeout=5) as s:
                with s.makefile("rb") as f:
                    greeting = f.readline()
        except OSError:
            return False
        return re.match(rb"220 \S+ ESMTP hostmail\r\n$", greeting) is not None

    def stop_server(self):
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()

    def server_log(self):
        with open(os.path.join(self.dir, "serve.log")) as f:
            return f.read()

    def maildir_files(self, mailbox, sub="new"):
        """Contents of the files in a mailbox's new/ (or cur/), sorted by name."""
        path = os.path.join(self.maildirs, mailbox, sub)
        if not os.path.isdir(path):
            return []
        out = []
        for name in sorted(os.listdir(path)):
            with open(os.path.join(path, name), "rb") as f:
                out.append(f.read())
        return out

    def why_not_delivered(self):
        """What the queue and the server's log say, for a failure message."""
        queued = self.run_hm("queue", "list")
        return "queue:\n%s\nserve.log (end):\n%s" % (queued.out + queued.err,
                                                      self.server_log()[-3000:])

    def delivered(self, mailbox, count=1, timeout=5):
        """The files in a mailbox's new/, once there are `count` of them
        (waiting up to `timeout` s, scaled): a 250 may come a moment before
        the file is visible to another process on a loaded machine. Fails
        with the queue and the server's log when the count is not reached,
        or is passed."""
        deadline = time.time() + timeout * TIME_FACTOR
        while True:
            files = self.maildir_files(mailbox)
            if len(files) >= count or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(len(files), count, "%s/new:\n%s" % (mailbox, self.why_not_delivered()))
        return files

    def run_hm(self, *args, stdin=None, use_config=True, as_user=None, env=None):
        cmd = [BIN]
        if use_config:
            cmd += ["--config", self.config]
        if as_user:
            cmd += ["--as", as_user]
        cmd += list(args)
        proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60,
                              env=env, stdin=None if stdin is not None else subprocess.DEVNULL)
        return Result(proc)

    def ok(self, *args, **kw):
        r = self.run_hm(*args, **kw)
        self.assertEqual(r.code, 0, r)
        return r

    def fails(self, code, *args, **kw):
        """The command fails with this exit status and one clear stderr line."""
        r = self.run_hm(*args, **kw)
        self.assertEqual(r.code, code, r)
        lines = [l for l in r.err.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, r)
        self.assertTrue(lines[0].startswith("hostmail: "), r)
        return r
