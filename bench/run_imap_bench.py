#!/usr/bin/env python3
"""One run of the IMAP benchmark: hostmail against Debian's Dovecot 2.3 (issue 13).

Both servers run privately on free loopback ports, over the same accounts
(the same `{SSHA}` hashes) and the same messages, one after the other in
one run, so that every figure has its peer's beside it (docs/benchmarks.md,
"IMAP"). hostmail: `hostmail init` + `hostmail ldif import` into a fresh
folder, `hostmail serve` with private ports. Dovecot (`--peer dovecot`, the
default): `dovecot -F -c <own config>` with its own base_dir, state_dir and
log file, a passwd-file passdb/userdb, Maildirs under the run's folder;
started as this process's child and stopped by its PID.

Workloads (`--only` picks some; all by default):
  login   LOGIN+LOGOUT, one connection each, from --login-clients parallel
          clients for --login-seconds: logins/s, server CPU per login.
  idle    --idle-hostmail / --idle-dovecot authenticated connections in IDLE
          (no TLS): the server's RSS and PSS (smaps_rollup, summed over all
          its processes) per connection, above the server's own before.
  folder  a --messages folder (generated, bench/imap_messages.py) written
          into both Maildirs as identical files: first open, then warm
          SELECT, FETCH 1:* (FLAGS), FETCH 1:* (ENVELOPE) (median of
          --repeat), then cold (index removed, page cache dropped): SELECT,
          FETCH 1:* (ENVELOPE).
  search  SEARCH FROM / SUBJECT / HEADER X-Mailer / BODY / TEXT on the warm
          folder (median of --repeat), with the number of hits as a check.
  append  APPEND of a 5 KB message from --append-clients clients for
          --append-seconds, against the disk's own rate of durable small
          files (write, fsync, rename, fsync the folder) with as many
          writers, measured in the same run before and after.

The clients are Python (bench/imap_client.py: raw sockets; the LOGIN load
in worker processes); the report gives their CPU time beside each rate.
When hostmail's build has no IMAP yet the run says
"hostmail: IMAP not available: <why>" and reports Dovecot alone.
Exits 1 when a target that could be measured is missed.
"""

import argparse
import base64
import grp
import hashlib
import json
import multiprocessing
import os
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import imap_client  # noqa: E402
import imap_messages  # noqa: E402
from run_smtp_bench import (CpuGroup, ensure_packages, free_port, log, machine,  # noqa: E402
                            remove_run)

DOMAIN = "bench.example"
# Idle connections per client source address (127.0.x.y): as from many
# hosts, below a server's per-address limit.
IDLE_PER_SOURCE = 40
DOVECOT_PACKAGES = ["dovecot-core", "dovecot-imapd"]


# ---------------------------------------------------------------- processes

def process_tree(root):
    """PIDs of `root` and all its descendants, from /proc."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def memory_of(pids):
    """Sum of Rss and Pss (KB) over `pids`, from smaps_rollup."""
    rss = pss = 0
    counted = 0
    for pid in pids:
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
            counted += 1
        except OSError:
            pass
    return {"rss_kb": rss, "pss_kb": pss, "processes": counted}


def stop_pid(proc, name, timeout=30):
    """SIGTERM to a started child, SIGKILL after `timeout`; then any of its
    recorded descendants still alive (by PID) are killed too."""
    if proc.poll() is not None:
        return
    tree = [p for p in process_tree(proc.pid) if p != proc.pid]
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log("%s (PID %d) did not stop; sending SIGKILL" % (name, proc.pid))
        proc.kill()
        proc.wait()
    deadline = time.time() + 5
    for pid in tree:
        while time.time() < deadline and os.path.exists("/proc/%d" % pid):
            time.sleep(0.05)
        try:
            os.kill(pid, signal.SIGKILL)
            log("%s: killed its leftover process %d" % (name, pid))
        except ProcessLookupError:
            pass


def wait_for_greeting(port, proc, timeout=30, what=b"* OK"):
    """Waits until a server greets on `port` with a line starting with
    `what`; returns None, or why not."""
    deadline = time.time() + timeout
    last = "nothing listens on 127.0.0.1:%d" % port
    while time.time() < deadline:
        if proc.poll() is not None:
            return "the server exited with status %d" % proc.returncode
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                line = s.recv(512)
            if line.startswith(what):
                return None
            last = "127.0.0.1:%d greets with %r" % (port, line[:100])
        except OSError as e:
            last = "127.0.0.1:%d: %s" % (port, e)
        time.sleep(0.1)
    return last


def drop_page_cache():
    """None when the page cache was dropped, else why not."""
    if os.geteuid() != 0:
        return "not root"
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError as e:
        return "cannot drop the page cache: %s" % e
    return None


# ---------------------------------------------------------------- accounts

def ssha(password, salt):
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def make_accounts(count):
    """(address, password, {SSHA} hash) of the login accounts, then `big`
    (the large folder) and `append`."""
    out = []
    names = ["user%03d" % i for i in range(count)] + ["big", "append"]
    for i, local in enumerate(names):
        password = "bench-%s-pw" % local
        out.append(("%s@%s" % (local, DOMAIN), password, ssha(password, os.urandom(4))))
    return out


def mail_owner():
    """Who owns the mail of both servers: nobody when root (hostmail drops to
    its vmail user, Dovecot's userdb gives the same uid), else ourselves."""
    if os.geteuid() == 0:
        return pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    return os.getuid(), os.getgid()


def make_maildir(path, owner):
    for sub in ("", "cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)
        os.chown(os.path.join(path, sub), *owner)


def chown_tree(path, owner):
    for parent, dirs, files in os.walk(path):
        os.lchown(parent, *owner)
        for name in dirs + files:
            os.lchown(os.path.join(parent, name), *owner)


# ---------------------------------------------------------------- servers

class Server:
    """What the workloads need of a server: its port, its processes, where
    an account's Maildir is, and which files of a folder are its index."""

    name = "?"
    proc = None
    port = None
    index_patterns = ()
    unavailable = None  # why the server cannot be measured

    def __init__(self, args, work, group):
        self.args, self.group = args, group
        self.dir = os.path.join(work, self.name)
        self.owner = mail_owner()
        self.base = None  # the folder holding <domain>/<local>/ Maildirs

    def maildir(self, address):
        local, domain = address.split("@")
        return os.path.join(self.base, domain, local)

    def spawn(self, command, output):
        """Starts the server as our child, its output to the file `output`,
        with the idle workload's file limit and in its cgroup."""
        nofile = self.args.nofile

        def prepare():
            imap_client.raise_nofile(nofile)
            if self.group.available:
                self.group.join_in_child()()

        self.log_file = open(output, "a")
        self.proc = subprocess.Popen(command, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=prepare)

    def stop(self):
        if self.proc:
            stop_pid(self.proc, self.name)
            self.proc = None
            self.log_file.close()

    def pids(self):
        return process_tree(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def restart(self):
        self.stop()
        self.start()

    def remove_index(self, address):
        root = self.maildir(address)
        removed = 0
        for name in os.listdir(root):
            if any(re.fullmatch(p, name) for p in self.index_patterns):
                os.remove(os.path.join(root, name))
                removed += 1
        return removed


class Hostmail(Server):
    name = "hostmail"
    # The files of hostmail's index and cache beside a folder's messages
    # (docs/store-format.md); the UID list stays, as Dovecot's does.
    index_patterns = (r"hostmail-index.*", r"hostmail-cache.*")

    def __init__(self, args, work, accounts, group, idle_max):
        super().__init__(args, work, group)
        r = subprocess.run([args.hostmail, "init", "--dir", self.dir], capture_output=True,
                           text=True)
        if r.returncode != 0:
            raise RuntimeError("hostmail init failed: " + r.stderr)
        self.config = os.path.join(self.dir, "hostmail.toml")
        with open(self.config) as f:
            text = f.read()
        ports = {}
        for service in ("smtp", "submission", "smtps", "imap", "imaps", "pop3", "pop3s",
                        "admin"):
            ports[service] = free_port()
            text = re.sub(r'(?m)^%s = \[.*\]' % service,
                          '%s = ["127.0.0.1:%d"]' % (service, ports[service]), text)
        self.port, self.smtp_port = ports["imap"], ports["smtp"]
        if os.geteuid() == 0:
            text = re.sub(r'(?m)^vmail_user = .*$', 'vmail_user = "nobody"', text)
            text = re.sub(r'(?m)^vmail_group = .*$', 'vmail_group = "nogroup"', text)
        text += args.hostmail_config_extra.replace("\\n", "\n")
        self.text = text
        # Room for the idle connections, which come from many source
        # addresses, IDLE_PER_SOURCE each; settings this build does not know
        # (`hostmail check-config` refuses them) are left out and said so.
        self.settings = {}
        for section, key, value in (("imap", "max_sessions", idle_max + 200),
                                    ("imap", "connections_per_ip", 2 * IDLE_PER_SOURCE)):
            self.settings[(section, key)] = value
            if not self.write_config():
                log("hostmail: this build refuses [%s] %s; left at its default" % (section, key))
                del self.settings[(section, key)]
        if not self.write_config():
            raise RuntimeError("hostmail check-config refuses %s: %s" % (self.config,
                                                                         self.config_error))
        self.base = os.path.join(self.dir, "vmail", "domains")
        ldif = [("dn: o=%s,o=hosting,dc=myhosting,dc=example\nobjectClass: top\n"
                 "objectClass: organization\no: %s\n" % (DOMAIN, DOMAIN))]
        for address, _, hashed in accounts:
            local = address.split("@")[0]
            ldif.append(
                "dn: mail=%s,o=%s,o=hosting,dc=myhosting,dc=example\nobjectClass: top\n"
                "objectClass: CourierMailAccount\nmail: %s\nuserPassword: %s\n"
                "homeDirectory: %s\nuidNumber: 65534\ngidNumber: 65534\n"
                "mailbox: %s/%s/\n" % (address, DOMAIN, address, hashed, self.base, DOMAIN,
                                        local))
        ldif_path = os.path.join(self.dir, "accounts.ldif")
        with open(ldif_path, "w") as f:
            f.write("\n".join(ldif))
        r = subprocess.run([args.hostmail, "--config", self.config, "ldif", "import", ldif_path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("hostmail ldif import failed: " + r.stderr)
        for address, _, _ in accounts:
            make_maildir(self.maildir(address), self.owner)
        if os.geteuid() == 0:
            chown_tree(self.dir, self.owner)
        self.log_path = os.path.join(self.dir, "serve.log")

    def write_config(self):
        """Writes the configuration with self.settings; False (and
        self.config_error) when `hostmail check-config` refuses it."""
        text = self.text
        for (section, key), value in self.settings.items():
            line = "%s = %s\n" % (key, json.dumps(value))
            header = "[%s]\n" % section
            if re.search(r"(?m)^\[%s\]$" % re.escape(section), text):
                text = text.replace(header, header + line, 1)
            else:
                text += "\n" + header + line
        with open(self.config, "w") as f:
            f.write(text)
        r = subprocess.run([self.args.hostmail, "--config", self.config, "check-config"],
                           capture_output=True, text=True)
        self.config_error = (r.stderr or r.stdout).strip()
        return r.returncode == 0

    def version(self):
        r = subprocess.run(["git", "-C", os.path.dirname(HERE), "describe", "--always",
                            "--dirty"], capture_output=True, text=True)
        return "(source %s)" % (r.stdout.strip() or "?")

    def start(self):
        self.spawn([self.args.hostmail, "--config", self.config, "serve"], self.log_path)
        # SMTP answers first (it is older); IMAP may not be there yet in
        # this build, which is what `unavailable` then says.
        why = wait_for_greeting(self.smtp_port, self.proc, what=b"220")
        if why and self.proc.poll() is not None:
            raise RuntimeError("hostmail serve: %s; its log %s:\n%s" %
                               (why, self.log_path, tail(self.log_path)))
        why = wait_for_greeting(self.port, self.proc, timeout=5)
        self.unavailable = ("nothing answers on [listen] imap (%s): this build of `hostmail "
                            "serve` does not serve IMAP yet" % why) if why else None


class Dovecot(Server):
    name = "dovecot"
    # Dovecot's index files; dovecot-uidlist (the UIDs) and dovecot-keywords stay.
    index_patterns = (r"dovecot\.index.*", r"dovecot\.list\.index.*")

    def __init__(self, args, work, accounts, group, idle_max):
        super().__init__(args, work, group)
        self.port = free_port()
        self.base = os.path.join(self.dir, "mail")
        self.config = os.path.join(self.dir, "dovecot.conf")
        self.log_path = os.path.join(self.dir, "dovecot.log")
        os.makedirs(self.base, exist_ok=True)
        os.chown(self.base, *self.owner)
        passwd = os.path.join(self.dir, "passwd")
        uid, gid = self.owner
        with open(passwd, "w") as f:
            for address, _, hashed in accounts:
                # user:password:uid:gid:(gecos):home::extra fields
                f.write("%s:%s:%d:%d::%s::\n" % (address, hashed, uid, gid,
                                                 self.maildir(address)))
        for address, _, _ in accounts:
            os.makedirs(os.path.dirname(self.maildir(address)), exist_ok=True)
            os.chown(os.path.dirname(self.maildir(address)), *self.owner)
            make_maildir(self.maildir(address), self.owner)
        root = os.geteuid() == 0
        internal = "dovecot" if root else pwd.getpwuid(os.getuid()).pw_name
        login_user = "dovenull" if root else internal
        group_name = grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name
        # Process and client limits: one imap process per connection (the
        # default), so the idle connections need as many processes; every
        # process is a client of anvil, stats, log and auth.
        processes = idle_max + 200
        clients = 2 * idle_max + 1000
        with open(self.config, "w") as f:
            f.write(DOVECOT_CONF.format(
                dir=self.dir, log=self.log_path, port=self.port, passwd=passwd,
                base=self.base, internal=internal, group=group_name, login_user=login_user,
                processes=processes, clients=clients, first_uid=min(uid, 500),
                first_gid=min(gid, 1)))
        for sub in ("run", "state"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)

    def version(self):
        r = subprocess.run(["dovecot", "--version"], capture_output=True, text=True)
        return r.stdout.strip()

    def start(self):
        r = subprocess.run(["doveconf", "-c", self.config, "-n"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("doveconf rejects %s: %s" % (self.config, r.stderr))
        # -F: in the foreground, so that the master is our child and is
        # stopped by its PID (it stops all its processes as it exits).
        self.spawn(["dovecot", "-F", "-c", self.config], os.path.join(self.dir, "dovecot.stderr"))
        why = wait_for_greeting(self.port, self.proc)
        if why:
            self.stop()
            raise RuntimeError("dovecot: %s; its log %s:\n%s" %
                               (why, self.log_path, tail(self.log_path)))


DOVECOT_CONF = """\
# Written by bench/run_imap_bench.py: a private Dovecot for one run.
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {log}
info_log_path = {log}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = {first_uid}
first_valid_gid = {first_gid}
mail_location = maildir:~
default_process_limit = {processes}
default_client_limit = {clients}
passdb {{
  driver = passwd-file
  args = scheme=SSHA {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
}}
protocol imap {{
  mail_max_userip_connections = {clients}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service imap {{
  process_limit = {processes}
}}
"""


def tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


# ---------------------------------------------------------------- workloads

def median(values):
    return statistics.median(values) if values else None


def login_load(args, port, accounts, seconds):
    """The LOGIN+LOGOUT load against `port`: the workers' merged figures."""
    users = [(a, p) for a, p, _ in accounts if a.startswith("user")]
    start_at = time.time() + 1.0
    jobs = [(port, users[i % len(users)][0], users[i % len(users)][1], start_at, seconds)
            for i in range(args.login_clients)]
    with multiprocessing.Pool(args.login_clients, initializer=worker_signals) as pool:
        results = pool.map(imap_client.login_worker, jobs)
    done = sum(r[0] for r in results)
    latencies = sorted(x for r in results for x in r[3])
    client_cpu = sum(r[4] for r in results)
    return {
        "logins": done, "failed": sum(r[1] for r in results),
        "first_error": next((r[2] for r in results if r[2]), None),
        "logins_per_s": round(done / seconds, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2) if latencies else None,
        "client_cpu_s": round(client_cpu, 2),
        "client_cpu_us_per_login": round(client_cpu / max(done, 1) * 1e6),
    }


def client_ceiling(args, accounts):
    """The LOGIN load against a trivial canned responder (its own process):
    what the Python clients reach when the server costs next to nothing."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    port = listener.getsockname()[1]
    proc = multiprocessing.Process(target=imap_client.trivial_server, args=(listener,),
                                   daemon=True)
    proc.start()
    listener.close()
    try:
        return login_load(args, port, accounts, min(args.login_seconds, 5))
    finally:
        proc.terminate()
        proc.join(10)


def w_login(args, server, accounts):
    cpu_before = server.group.usage() if server.group.available else None
    out = login_load(args, server.port, accounts, args.login_seconds)
    if cpu_before is not None:
        cpu = server.group.usage() - cpu_before
        out["server_cpu_s"] = round(cpu, 2)
        out["server_cpu_us_per_login"] = round(cpu / max(out["logins"], 1) * 1e6)
    return out


def w_idle(args, server, accounts, count):
    users = [(a, p) for a, p, _ in accounts if a.startswith("user")]
    # Source addresses spread over 127.0.0.0/8 as clients of many hosts
    # would be, so that no per-address limit and no shortage of ephemeral
    # ports decides the figure.
    sources = ["127.0.%d.%d" % (1 + i // 200, 1 + i % 200)
               for i in range(max(1, -(-count // IDLE_PER_SOURCE)))]
    time.sleep(1)
    before = memory_of(server.pids())
    t = time.time()
    conns = []
    try:
        conns, error = imap_client.open_idle(server.port, users, count, sources)
        opened = time.time() - t
        time.sleep(2)  # let every process settle after its last reply
        after = memory_of(server.pids())
    finally:
        for c in conns:
            c.close()
    if not conns:
        raise RuntimeError("no connection reached IDLE: %s" % error)
    n = len(conns)
    return {
        "connections": len(conns), "open_s": round(opened, 1), "stopped_by": error,
        "processes_before": before["processes"], "processes_after": after["processes"],
        "rss_mb_before": round(before["rss_kb"] / 1024, 1),
        "pss_mb_before": round(before["pss_kb"] / 1024, 1),
        "rss_mb_after": round(after["rss_kb"] / 1024, 1),
        "pss_mb_after": round(after["pss_kb"] / 1024, 1),
        "rss_kb_per_conn": round((after["rss_kb"] - before["rss_kb"]) / n, 1),
        "pss_kb_per_conn": round((after["pss_kb"] - before["pss_kb"]) / n, 1),
    }


def worker_signals():
    """In a pool's worker: SIGTERM (the pool's end) ends it quietly; Ctrl-C
    is the parent's to handle."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def deliver_folder(server, corpus, names, owner, address="big@" + DOMAIN):
    """Copies the corpus into the account's cur/ (identical files for both
    servers), owned by the mail owner."""
    cur = os.path.join(server.maildir(address), "cur")
    for name in names:
        dest = os.path.join(cur, name)
        shutil.copyfile(os.path.join(corpus, name), dest)
        st = os.stat(os.path.join(corpus, name))
        os.utime(dest, (st.st_mtime, st.st_mtime))
        os.chown(dest, *owner)


def count_fetch(data):
    return data.count(b" FETCH (")


def session(server, accounts, address):
    password = next(p for a, p, _ in accounts if a == address)
    c = imap_client.Connection(server.port)
    c.login(address, password)
    return c


def w_folder(args, server, accounts, count):
    out = {}
    c = session(server, accounts, "big@" + DOMAIN)
    try:
        seconds, data = c.timed("SELECT INBOX")
        exists = re.search(rb"\* (\d+) EXISTS", data)
        out["exists"] = int(exists.group(1)) if exists else None
        out["first_select_ms"] = round(seconds * 1000, 1)
        seconds, data = c.timed("FETCH 1:* (FLAGS)")
        out["first_fetch_flags_ms"] = round(seconds * 1000, 1)
        seconds, data = c.timed("FETCH 1:* (ENVELOPE)")
        out["first_fetch_envelope_ms"] = round(seconds * 1000, 1)
        times = {"select": [], "flags": [], "envelope": []}
        for _ in range(args.repeat):
            times["select"].append(c.timed("SELECT INBOX")[0])
            seconds, data = c.timed("FETCH 1:* (FLAGS)")
            times["flags"].append(seconds)
            if count_fetch(data) != count:
                raise RuntimeError("FETCH FLAGS answered %d of %d messages" %
                                   (count_fetch(data), count))
            seconds, data = c.timed("FETCH 1:* (ENVELOPE)")
            times["envelope"].append(seconds)
            if count_fetch(data) != count:
                raise RuntimeError("FETCH ENVELOPE answered %d of %d messages" %
                                   (count_fetch(data), count))
        out["envelope_response_kb"] = round(len(data) / 1024)
        for key, values in times.items():
            out["warm_%s_ms" % key] = round(median(values) * 1000, 2)
        c.command("LOGOUT", check=False)
    finally:
        c.close()
    return out


def w_cold(args, server, accounts):
    """SELECT and FETCH ENVELOPE with the index removed and the page cache
    dropped, on a freshly started server (nothing of the folder in its
    memory either); {"not_measured": why} when that cannot be done."""
    address = "big@" + DOMAIN
    server.stop()
    removed = server.remove_index(address)
    why = drop_page_cache()
    server.start()
    if why:
        return {"not_measured": why}
    c = session(server, accounts, address)
    perf = start_perf(args, server, "cold")
    try:
        select_s, _ = c.timed("SELECT INBOX")
        envelope_s, data = c.timed("FETCH 1:* (ENVELOPE)")
        c.command("LOGOUT", check=False)
    finally:
        c.close()
        stop_perf(perf)
    return {"index_files_removed": removed, "select_ms": round(select_s * 1000, 1),
            "envelope_ms": round(envelope_s * 1000, 1), "fetched": count_fetch(data)}


def w_search(args, server, accounts):
    out = {}
    c = session(server, accounts, "big@" + DOMAIN)
    try:
        c.command("SELECT INBOX")
        for name, where, text, _ in imap_messages.SEARCH_TERMS:
            if name == "HEADER":
                query = 'SEARCH HEADER X-Mailer "%s"' % text
            else:
                query = 'SEARCH %s "%s"' % (name, text)
            c.command(query)  # warm-up, as a client's second search
            times, hits = [], None
            for _ in range(args.repeat):
                seconds, data = c.timed(query)
                times.append(seconds)
                line = next((x for x in data.split(b"\r\n") if x.startswith(b"* SEARCH")), b"")
                hits = len(line.split()) - 2
            out[name] = {"ms": round(median(times) * 1000, 2), "hits": hits}
        c.command("LOGOUT", check=False)
    finally:
        c.close()
    return out


def disk_rate(folder, writers, seconds, size=5 * 1024):
    """Durable small files per second with `writers` threads: each creates
    a file in tmp/ (O_EXCL), writes, fsyncs, renames it into new/, fsyncs
    new/. fsync releases the GIL, so Python is not what limits this."""
    for sub in ("tmp", "new"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    data = b"x" * size
    counts = [0] * writers
    end = time.time() + seconds

    def writer(k):
        new = os.open(os.path.join(folder, "new"), os.O_RDONLY | os.O_DIRECTORY)
        n = 0
        try:
            while time.time() < end:
                name = "%d.%d" % (k, n)
                tmp = os.path.join(folder, "tmp", name)
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    os.write(fd, data)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.rename(tmp, os.path.join(folder, "new", name))
                os.fsync(new)
                n += 1
        finally:
            os.close(new)
        counts[k] = n

    t = time.time()
    threads = [threading.Thread(target=writer, args=(k,)) for k in range(writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return round(sum(counts) / (time.time() - t), 1)


APPEND_MESSAGE = (b"From: Appender <appender@example.org>\r\nTo: append@bench.example\r\n"
                  b"Subject: append bench\r\nMessage-ID: <%d.append@bench.example>\r\n\r\n" +
                  b"0123456789abcdef" * 316 + b"\r\n")


def append_worker(job):
    port, user, password, start_at, seconds, k = job
    c = imap_client.Connection(port)
    c.login(user, password)
    literal_plus = "LITERAL+" in c.capabilities()
    cpu0 = imap_client.cpu_self()
    while time.time() < start_at:
        time.sleep(0.005)
    n = 0
    end = start_at + seconds
    while time.time() < end:
        c.append("INBOX", APPEND_MESSAGE.replace(b"%d", b"%d-%d" % (k, n)), literal_plus)
        n += 1
    cpu = imap_client.cpu_self() - cpu0
    c.command("LOGOUT", check=False)
    c.close()
    return n, cpu


def w_append(args, server, accounts, work):
    """APPEND load, between two measurements of the disk's own rate of
    durable files with as many writers (the disk here moves by several
    times within minutes, so the ratio uses the two beside it)."""
    address = "append@" + DOMAIN
    password = next(p for a, p, _ in accounts if a == address)
    seconds = min(args.append_seconds, 10)
    disk = [disk_rate(os.path.join(work, "disk-%s-before" % server.name), args.append_clients,
                      seconds)]
    start_at = time.time() + 1.0
    jobs = [(server.port, address, password, start_at, args.append_seconds, k)
            for k in range(args.append_clients)]
    with multiprocessing.Pool(args.append_clients, initializer=worker_signals) as pool:
        results = pool.map(append_worker, jobs)
    disk.append(disk_rate(os.path.join(work, "disk-%s-after" % server.name), args.append_clients,
                          seconds))
    n = sum(r[0] for r in results)
    rate = n / args.append_seconds
    return {"appends": n, "appends_per_s": round(rate, 1),
            "client_cpu_s": round(sum(r[1] for r in results), 2),
            "disk_files_per_s": disk, "vs_disk": round(rate / (sum(disk) / 2), 3)}


# ---------------------------------------------------------------- report

def targets(args):
    """(label, workload, how to get the value from the results, op,
    threshold): the issue's targets, per-message ones scaled to the folder."""
    scale = max(1.0, args.messages / 20000.0)

    def h(*path):
        def get(res):
            v = res.get("hostmail")
            for p in path:
                v = v.get(p) if isinstance(v, dict) else None
            return v
        return get

    def ratio(*path):
        def get(res):
            a, b = h(*path)(res), None
            v = res.get("dovecot")
            for p in path:
                v = v.get(p) if isinstance(v, dict) else None
            b = v
            return round(a / b, 2) if a is not None and b else None
        return get

    return [
        ("logins/s vs Dovecot", "login", ratio("login", "logins_per_s"), ">=", 5.0),
        ("idle: PSS per connection (KB)", "idle", h("idle", "pss_kb_per_conn"), "<=", 32.0),
        ("warm SELECT (ms)", "folder", h("folder", "warm_select_ms"), "<=", 5.0 * scale),
        ("warm FETCH 1:* (FLAGS) (ms)", "folder", h("folder", "warm_flags_ms"), "<=",
         10.0 * scale),
        ("warm FETCH 1:* (ENVELOPE) (ms)", "folder", h("folder", "warm_envelope_ms"), "<=",
         100.0 * scale),
        ("cold SELECT (ms)", "folder", h("cold", "select_ms"), "<=", 1000.0 * scale),
        ("cold FETCH 1:* (ENVELOPE) (ms)", "folder", h("cold", "envelope_ms"), "<=",
         3000.0 * scale),
        ("SEARCH FROM (ms)", "search", h("search", "FROM", "ms"), "<=", 50.0 * scale),
        ("SEARCH SUBJECT (ms)", "search", h("search", "SUBJECT", "ms"), "<=", 50.0 * scale),
        ("SEARCH HEADER (ms)", "search", h("search", "HEADER", "ms"), "<=", 50.0 * scale),
    ]


def verdict(value, op, threshold):
    if value is None:
        return "n/a"
    ok = value >= threshold if op == ">=" else value <= threshold
    return "met" if ok else "MISSED"


def fmt(v, digits=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        return ("%%.%df" % digits) % v
    return str(v)


def row(label, res, *path, digits=1, lower_better=False, peer_path=None, ratio=True):
    """A line of the table; `peer_path`: where Dovecot's figure is when
    not at the same place as hostmail's."""
    vals = []
    for name in ("hostmail", "dovecot"):
        v = res.get(name)
        for p in (peer_path or path) if name == "dovecot" else path:
            v = v.get(p) if isinstance(v, dict) else None
        vals.append(v)
    a, b = vals
    r = None
    if ratio and isinstance(a, (int, float)) and isinstance(b, (int, float)) and a and b:
        r = (b / a) if lower_better else (a / b)
    return "  %-40s %14s %14s %9s" % (label, fmt(a, digits), fmt(b, digits),
                                      ("%.2fx" % r) if r is not None else "-")


def report(args, res):
    m = res["machine"]
    lines = ["machine: %d CPUs, %s, kernel %s, %.1f GB RAM, disk %s" %
             (m["nproc"], m["cpu"], m["kernel"], m["memory_gb"], m["disk"]),
             "load average at start: %s" % res["loadavg"],
             "servers: %s" % ", ".join("%s %s" % (k, v) for k, v in res["versions"].items()),
             "clients: Python (%s), raw sockets; LOGIN and APPEND from worker processes" %
             sys.version.split()[0]]
    for name in ("hostmail", "dovecot"):
        if res.get(name, {}).get("unavailable"):
            lines.append("%s: IMAP not available: %s" % (name, res[name]["unavailable"]))
    for name in ("hostmail", "dovecot"):
        for key, value in sorted(res.get(name, {}).items()):
            if isinstance(value, dict) and list(value) == ["error"]:
                lines.append("%s: %s failed: %s" % (name, key, value["error"]))
    lines.append("")
    lines.append("  %-40s %14s %14s %9s" % ("", "hostmail", "dovecot", "ratio"))
    if "login" in res["workloads"]:
        lines.append("LOGIN+LOGOUT, %d clients, %d s (ratio: hostmail/dovecot rate):" %
                     (args.login_clients, args.login_seconds))
        lines.append(row("logins/s", res, "login", "logins_per_s"))
        lines.append(row("latency p50 (ms)", res, "login", "p50_ms", digits=2,
                         lower_better=True))
        lines.append(row("latency p99 (ms)", res, "login", "p99_ms", digits=2,
                         lower_better=True))
        if res.get("hostmail", {}).get("login_nocache"):
            lines.append(row("logins/s, hostmail's credential cache off", res,
                             "login_nocache", "logins_per_s",
                             peer_path=("login", "logins_per_s")))
        lines.append(row("failed logins", res, "login", "failed", ratio=False))
        lines.append(row("server CPU per login (us)", res, "login", "server_cpu_us_per_login",
                         lower_better=True))
        lines.append(row("client CPU per login (us)", res, "login", "client_cpu_us_per_login",
                         lower_better=True))
        ceiling = res.get("client_ceiling")
        if ceiling:
            lines.append("  client ceiling (same clients, trivial Python responder; a lower "
                         "bound): %.0f logins/s, client CPU %d us per login" %
                         (ceiling["logins_per_s"], ceiling["client_cpu_us_per_login"]))
        for name in ("hostmail", "dovecot"):
            err = res.get(name, {}).get("login", {}).get("first_error")
            if err:
                lines.append("  %s: first failed login: %s" % (name, err))
    if "idle" in res["workloads"]:
        lines.append("idle connections in IDLE, no TLS (ratio: dovecot/hostmail memory):")
        lines.append(row("connections", res, "idle", "connections", ratio=False))
        lines.append(row("server processes after", res, "idle", "processes_after", ratio=False))
        lines.append(row("RSS before (MB)", res, "idle", "rss_mb_before", lower_better=True))
        lines.append(row("RSS after (MB)", res, "idle", "rss_mb_after", lower_better=True))
        lines.append(row("PSS before (MB)", res, "idle", "pss_mb_before", lower_better=True))
        lines.append(row("PSS after (MB)", res, "idle", "pss_mb_after", lower_better=True))
        lines.append(row("RSS per connection (KB)", res, "idle", "rss_kb_per_conn",
                         lower_better=True))
        lines.append(row("PSS per connection (KB)", res, "idle", "pss_kb_per_conn",
                         lower_better=True))
        for name in ("hostmail", "dovecot"):
            err = res.get(name, {}).get("idle", {}).get("stopped_by")
            if err:
                lines.append("  %s: stopped %s" % (name, err))
    if "folder" in res["workloads"]:
        lines.append("a %d-message folder, %.0f MB (ratio: dovecot/hostmail time; median of "
                     "%d):" % (args.messages, res["corpus"]["mb"], args.repeat))
        for label, key in (("messages seen (EXISTS)", "exists"),
                           ("first SELECT, no index (ms)", "first_select_ms"),
                           ("first FETCH FLAGS (ms)", "first_fetch_flags_ms"),
                           ("first FETCH ENVELOPE (ms)", "first_fetch_envelope_ms"),
                           ("warm SELECT (ms)", "warm_select_ms"),
                           ("warm FETCH 1:* (FLAGS) (ms)", "warm_flags_ms"),
                           ("warm FETCH 1:* (ENVELOPE) (ms)", "warm_envelope_ms"),
                           ("ENVELOPE response (KB)", "envelope_response_kb")):
            lines.append(row(label, res, "folder", key, digits=2, lower_better=True,
                             ratio=key not in ("exists", "envelope_response_kb")))
        for name in ("hostmail", "dovecot"):
            why = res.get(name, {}).get("cold", {}).get("not_measured")
            if why:
                lines.append("  %s: cold not measured: %s" % (name, why))
        lines.append(row("cold SELECT (ms)", res, "cold", "select_ms", lower_better=True))
        lines.append(row("cold FETCH 1:* (ENVELOPE) (ms)", res, "cold", "envelope_ms",
                         lower_better=True))
    if "search" in res["workloads"]:
        lines.append("SEARCH on the warm folder (ms; hits: planted %s):" %
                     ", ".join("%s %d" % kv for kv in res["corpus"]["hits"].items()))
        for name, _, text, _ in imap_messages.SEARCH_TERMS:
            lines.append(row("%s \"%s\" (ms)" % (name, text), res, "search", name, "ms",
                             digits=2, lower_better=True))
            lines.append(row("  hits", res, "search", name, "hits", ratio=False))
    if "append" in res["workloads"]:
        lines.append("APPEND of %d bytes, %d clients, %d s (ratio: hostmail/dovecot):" %
                     (len(APPEND_MESSAGE), args.append_clients, args.append_seconds))
        lines.append(row("appends/s", res, "append", "appends_per_s"))
        lines.append(row("appends/s / disk's durable files/s", res, "append", "vs_disk",
                         digits=2))
        for name in ("hostmail", "dovecot"):
            disk = res.get(name, {}).get("append", {}).get("disk_files_per_s")
            if disk:
                lines.append("  disk: durable 5 KB files/s with %d writers before and after "
                             "%s's: %s" % (args.append_clients, name,
                                           ", ".join(fmt(x) for x in disk)))
    lines.append("")
    lines.append("%-40s %12s %14s  %s" % ("target (hostmail)", "measured", "goal", "verdict"))
    for label, workload, get, op, threshold in targets(args):
        if workload not in res["workloads"]:
            continue
        value = get(res)
        lines.append("%-40s %12s %3s %-10g %s" % (label, fmt(value, 2), op, threshold,
                                                  "(smoke)" if args.smoke
                                                  else verdict(value, op, threshold)))
    return "\n".join(lines)


# ---------------------------------------------------------------- main

WORKLOADS = ["login", "idle", "folder", "search", "append"]


def start_perf(args, server, workload):
    """With --perf DIR: `perf record` of hostmail (all threads, call graphs
    by DWARF: the release build keeps no frame pointers) for one workload,
    into DIR/hostmail-<workload>.data; None otherwise."""
    if not args.perf or not isinstance(server, Hostmail) or not server.proc:
        return None
    os.makedirs(args.perf, exist_ok=True)
    path = os.path.join(args.perf, "hostmail-%s.data" % workload)
    proc = subprocess.Popen(["perf", "record", "-F", "499", "--call-graph", "dwarf", "-p",
                             str(server.proc.pid), "-o", path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    return proc, path


def stop_perf(perf):
    if perf:
        proc, path = perf
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log("perf profile in %s: perf report -i %s --no-children" % (path, path))


def run_server(args, server, accounts, corpus, res, idle_count, work):
    """The workloads against one started server, each guarded: a failure is
    reported as that workload's error, not the end of the run."""
    out = res.setdefault(server.name, {})
    if server.unavailable:
        out["unavailable"] = server.unavailable
        log("%s: IMAP not available: %s" % (server.name, server.unavailable))
        return
    try:
        c = session(server, accounts, accounts[0][0])
        c.command("LOGOUT", check=False)
        c.close()
    except (OSError, imap_client.ImapError) as e:
        out["unavailable"] = "LOGIN as %s failed: %s" % (accounts[0][0], e)
        log("%s: IMAP not available: %s" % (server.name, out["unavailable"]))
        return

    def guarded(key, fn, *a, profile=True):
        log("%s: %s" % (server.name, key))
        perf = start_perf(args, server, key) if profile else None
        try:
            out[key] = fn(*a)
        except (OSError, imap_client.ImapError, RuntimeError) as e:
            out[key] = {"error": "%s: %s" % (type(e).__name__, e)}
        finally:
            stop_perf(perf)
        log("%s: %s: %s" % (server.name, key, json.dumps(out[key])))

    if "login" in args.only:
        guarded("login", w_login, args, server, accounts)
        if isinstance(server, Hostmail):
            # Again without the cache of proven logins ([auth]
            # credential_cache_ttl_s = 0): every LOGIN verifies the hash.
            key = ("auth", "credential_cache_ttl_s")
            server.settings[key] = 0
            if server.write_config():
                server.restart()
                guarded("login_nocache", w_login, args, server, accounts)
            else:
                log("hostmail: this build has no [auth] credential_cache_ttl_s")
            del server.settings[key]
            if not server.write_config():
                raise RuntimeError("hostmail check-config: " + server.config_error)
            server.restart()
    if "idle" in args.only:
        guarded("idle", w_idle, args, server, accounts, idle_count)
    if "folder" in args.only or "search" in args.only:
        log("%s: writing %d messages into its Maildir" % (server.name, args.messages))
        deliver_folder(server, corpus["dir"], corpus["names"], server.owner)
        os.sync()
        if "folder" in args.only:
            guarded("folder", w_folder, args, server, accounts, args.messages)
        if "search" in args.only:
            guarded("search", w_search, args, server, accounts)
        if "folder" in args.only:
            # It restarts the server, so it starts its profile itself.
            guarded("cold", w_cold, args, server, accounts, profile=False)
    if "append" in args.only:
        guarded("append", w_append, args, server, accounts, work)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", default=os.path.join(os.path.dirname(HERE), "build"),
                   help="CMake build folder with src/app/hostmail")
    p.add_argument("--hostmail", help="hostmail binary (default: in --build-dir)")
    p.add_argument("--peer", choices=["dovecot", "none"], default="dovecot")
    p.add_argument("--work-dir", help="parent of the run's temporary folder (default: "
                   "$TMPDIR; /dev/shm takes the disk out)")
    p.add_argument("--keep", action="store_true", help="keep the run's folder")
    p.add_argument("--json-out", help="also write all figures to this JSON file")
    p.add_argument("--only", default=",".join(WORKLOADS),
                   help="comma-separated workloads: " + ", ".join(WORKLOADS))
    p.add_argument("--smoke", action="store_true",
                   help="tiny sizes, a few seconds per server: checks that the harness works")
    p.add_argument("--accounts", type=int, default=100, help="login accounts")
    p.add_argument("--login-clients", type=int, default=20)
    p.add_argument("--login-seconds", type=int, default=20)
    p.add_argument("--idle-hostmail", type=int, default=10000)
    p.add_argument("--idle-dovecot", type=int, default=1000)
    p.add_argument("--messages", type=int, default=20000,
                   help="messages in the folder (100000 for the large case)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--repeat", type=int, default=5, help="timings per warm figure (median)")
    p.add_argument("--append-clients", type=int, default=1)
    p.add_argument("--append-seconds", type=int, default=10)
    p.add_argument("--perf", metavar="DIR",
                   help="record a perf profile of hostmail during each workload into DIR "
                   "(its figures then include perf's overhead)")
    p.add_argument("--hostmail-config-extra", default="",
                   help="TOML text appended to hostmail's configuration (\\n for newlines), "
                   "e.g. IMAP limits of its [imap] section")
    args = p.parse_args()
    if args.smoke:
        for key, value in {"accounts": 10, "login_clients": 4, "login_seconds": 2,
                           "idle_hostmail": 50, "idle_dovecot": 20, "messages": 300,
                           "repeat": 2, "append_seconds": 2}.items():
            if "--" + key.replace("_", "-") not in " ".join(sys.argv):
                setattr(args, key, value)
    args.only = [w.strip() for w in args.only.split(",") if w.strip()]
    for w in args.only:
        if w not in WORKLOADS:
            sys.exit("run_imap_bench: unknown workload %r (%s)" % (w, ", ".join(WORKLOADS)))
    args.hostmail = args.hostmail or os.path.join(args.build_dir, "src", "app", "hostmail")
    if not os.access(args.hostmail, os.X_OK):
        sys.exit("run_imap_bench: %s is missing; build it or point --build-dir at it" %
                 args.hostmail)
    idle_max = max(args.idle_hostmail, args.idle_dovecot)
    args.nofile = 2 * idle_max + 4096
    imap_client.raise_nofile(args.nofile)
    if args.peer == "dovecot":
        ensure_packages(DOVECOT_PACKAGES)

    # Ctrl-C and SIGTERM unwind through the finally below, which stops
    # every server by its PID.
    def on_term(*_):
        log("SIGTERM")
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)
    work = tempfile.mkdtemp(prefix="hm-imap-bench-", dir=args.work_dir)
    os.chmod(work, 0o755)  # the unprivileged mail owner must reach its folders
    log("work folder " + work)
    with open("/proc/loadavg") as f:
        loadavg = " ".join(f.read().split()[:3])
    res = {"machine": machine(work), "loadavg": loadavg, "workloads": args.only,
           "options": {k: v for k, v in vars(args).items() if k != "hostmail_config_extra"},
           "versions": {}}
    servers, groups = [], []
    try:
        accounts = make_accounts(args.accounts)
        corpus = None
        if "folder" in args.only or "search" in args.only:
            folder = os.path.join(work, "corpus")
            t = time.time()
            names, hits, total = imap_messages.write_corpus(folder, args.messages, args.seed)
            corpus = {"dir": folder, "names": names}
            res["corpus"] = {"messages": len(names), "mb": total / 1e6, "hits": hits}
            log("corpus: %d messages, %.0f MB in %.1f s" % (len(names), total / 1e6,
                                                          time.time() - t))
        if "login" in args.only:
            log("client ceiling: the LOGIN load against a trivial responder")
            res["client_ceiling"] = client_ceiling(args, accounts)
            log("client ceiling: %s" % json.dumps(res["client_ceiling"]))
        plan = [(Hostmail, args.idle_hostmail)]
        if args.peer == "dovecot":
            plan.append((Dovecot, args.idle_dovecot))
        for cls, idle_count in plan:
            group = CpuGroup("hm-imap-bench-" + cls.name)
            groups.append(group)
            server = cls(args, work, accounts, group, idle_max)
            servers.append(server)
            res["versions"][server.name] = server.version()
            server.start()
            try:
                run_server(args, server, accounts, corpus, res, idle_count, work)
            finally:
                # Its copy of the folder stays until the end: deleting
                # thousands of files just before the next server's run would
                # slow that server's file creation (docs/benchmarks.md, SMTP).
                server.stop()
    finally:
        for server in servers:
            server.stop()
        remove_run(groups, work, args.keep)
    text = report(args, res)
    print(text)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(res, f, indent=2, default=str)
    if args.smoke:
        # Tiny sizes say nothing about the targets; the smoke run fails when
        # a workload failed on a server that could be measured.
        broken = ["%s %s" % (name, key) for name in ("hostmail", "dovecot")
                  for key, value in res.get(name, {}).items()
                  if isinstance(value, dict) and list(value) == ["error"]]
        if args.peer == "dovecot" and res.get("dovecot", {}).get("unavailable"):
            broken.append("dovecot unavailable")
        print("smoke run: the targets are not judged at these sizes; %s" %
              ("failed: " + ", ".join(broken) if broken else "every workload ran"))
        return 1 if broken else 0
    failed = any(verdict(get(res), op, t) == "MISSED"
                 for _, w, get, op, t in targets(args) if w in args.only)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # Every server was stopped by main's cleanup on the way out.
        sys.exit("run_imap_bench: interrupted; every process it started is stopped")
