#!/usr/bin/env python3
"""One run of the SMTP delivery benchmark (docs/benchmarks.md, issue 5).

Creates 1,000 accounts in 10 domains in a fresh, private hostmail, starts
`hostmail serve` on a free loopback port, sends 5,000 messages of 5 KB over 20
sessions with bench/smtp_load (one message per connection) and waits until
the last message is in its Maildir. The client pipelines MAIL, RCPT and
DATA when the server offers PIPELINING, as MTAs do (`--no-pipelining`: one
command per round trip). The Maildirs do not exist before the load, so a
fifth of its messages create one; with `--warm` every account first gets
one unmeasured message, and the load finds every Maildir in place, as on a
server that has been receiving mail for a while. Reports:

  - delivered rate: messages / (first connect .. last file present in new/),
    the end taken from the newest new/ folder's mtime once all are there;
  - p50/p99 of the DATA reply (smtp_load: final ".\\r\\n" sent .. 250 read);
  - server CPU seconds per 1,000 messages, over the same window;
  - hostmail's peak RSS (VmHWM);
  - the disk's durable-Maildir rate (bench/disk_rate: 20 writers, 5 KB,
    fsync file, rename into new/, fsync new/), measured before the loads and
    again after them in the same run, on the same file system;

and with `--peer postfix` the same load against Debian's Postfix with its LDAP
maps and a private slapd holding the same accounts, set up privately under
the run's temporary folder (own config_directory, queue_directory, port) and
stopped at the end. The ratios against the issue's targets are printed with
pass/fail.

With `--directory both` hostmail runs the same load a second time with
`[directory] backend = "ldap"`, against a private slapd (tests/e2e/
slapd_fixture.py, the indexes of docs/ldap/slapd.conf.example) loaded with
`hostmail ldif export` of the same accounts, then once more over the embedded
directory (what runs first in a run is slower on this kind of disk), and the
ratio of the LDAP delivered rate to the mean of the two embedded runs is
checked against issue 6's target (>= 0.7). slapd's CPU is not in hostmail's
CPU figure there; it is reported beside it.

CPU accounting: every server process (hostmail; Postfix's master and all the
daemons it forks, and slapd) runs in a dedicated cgroup, and its CPU is the
cgroup's usage counter (cgroup v2 `cpu.stat` usage_usec, else v1
`cpuacct.usage`), read before the load and after the last delivery. Short-
lived processes (smtpd, cleanup, virtual, ...) are counted even after they
exit, which summing /proc/<pid>/stat would miss. hostmail's figure is also
read from /proc/<pid>/stat (utime+stime of all its threads) as a cross-check.
Without a writable cgroup hierarchy the Postfix figure is not measured.

Needs root for the cgroups and for installing/running Postfix; hostmail's
own figures work without root (CPU then only from /proc). Exits 1 when a
target that could be measured is missed.
"""

import argparse
import grp
import json
import os
import platform
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))

SUFFIX = "dc=myhosting,dc=example"
BASE = "o=hosting," + SUFFIX
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The targets, as (label, key, comparison, threshold).
TARGETS = [
    ("delivered rate vs Postfix", "rate_vs_postfix", ">=", 3.0),
    ("CPU per message vs Postfix+slapd", "cpu_vs_postfix", "<=", 0.25),
    ("delivered rate vs disk rate", "rate_vs_disk", ">=", 0.40),
    ("p99 DATA reply (ms)", "p99_ms", "<=", 25.0),
    ("peak RSS (MB)", "rss_mb", "<=", 100.0),
    ("delivered rate, LDAP vs embedded (mean)", "ldap_vs_embedded", ">=", 0.7),
]

# What [directory.ldap] gets for the LDAP run, besides uris, base and bind.
LDAP_INDEXES = "index objectClass eq\nindex mail eq,sub\nindex o,cn,roleOccupant eq\n"


def log(msg):
    print("[bench] " + msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc=None, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("the server exited with status %d before listening" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.recv(512)  # the greeting: the server really answers
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing answered on 127.0.0.1:%d within %d s" % (port, timeout))


# ---------------------------------------------------------------- machine

def mount_of(path):
    path = os.path.realpath(path)
    best = ("", "?", "?")
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best[0]):
                best = (mnt, dev, fstype)
    return best


def machine(work_dir):
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mnt, dev, fstype = mount_of(work_dir)
    disk = "%s (%s on %s)" % (dev, fstype, mnt)
    name = os.path.basename(dev)
    block = re.sub(r"p?\d+$", "", name) if not os.path.exists("/sys/block/" + name) else name
    try:
        with open("/sys/block/%s/queue/rotational" % block) as f:
            disk += ", rotational" if f.read().strip() == "1" else ", non-rotational"
    except OSError:
        pass
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "memory_gb": round(mem_kb / 1024 / 1024, 1), "disk": disk}


# ---------------------------------------------------------------- CPU accounting

class CpuGroup:
    """A dedicated cgroup whose CPU usage counter covers every process put in
    it and all their descendants, exited ones included."""

    def __init__(self, name):
        self.path = None
        self.kind = None
        candidates = []
        if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            candidates.append(("v2", "/sys/fs/cgroup"))
        if os.path.isdir("/sys/fs/cgroup/unified"):
            candidates.append(("v2", "/sys/fs/cgroup/unified"))
        if os.path.isdir("/sys/fs/cgroup/cpuacct"):
            candidates.append(("v1", "/sys/fs/cgroup/cpuacct"))
        for kind, root in candidates:
            path = os.path.join(root, "%s-%d" % (name, os.getpid()))
            try:
                os.mkdir(path)
            except OSError:
                continue
            self.path, self.kind = path, kind
            if self.usage() is None:
                os.rmdir(path)
                self.path = self.kind = None
                continue
            break

    @property
    def available(self):
        return self.path is not None

    def describe(self):
        if not self.available:
            return "none (no writable cgroup)"
        return "cgroup %s %s" % (self.kind, self.path)

    def add(self, pid):
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def join_in_child(self):
        """A preexec_fn: the child (and all it forks) joins the group."""
        path = os.path.join(self.path, "cgroup.procs")

        def join():
            with open(path, "w") as f:
                f.write(str(os.getpid()))
        return join

    def usage(self):
        """CPU seconds used by the group so far."""
        try:
            if self.kind == "v2":
                with open(os.path.join(self.path, "cpu.stat")) as f:
                    for line in f:
                        key, value = line.split()
                        if key == "usage_usec":
                            return int(value) / 1e6
                return None
            with open(os.path.join(self.path, "cpuacct.usage")) as f:
                return int(f.read()) / 1e9
        except (OSError, ValueError):
            return None

    def remove(self):
        if not self.available:
            return
        # Anything still inside (should be nothing) goes back to the root.
        parent = os.path.join(os.path.dirname(self.path), "cgroup.procs")
        try:
            with open(os.path.join(self.path, "cgroup.procs")) as f:
                pids = f.read().split()
            for pid in pids:
                try:
                    with open(parent, "w") as f:
                        f.write(pid)
                except OSError:
                    pass
            os.rmdir(self.path)
        except OSError as e:
            log("could not remove %s: %s" % (self.path, e))


def remove_run(groups, work, keep):
    """The end of a run: its cgroups go, and its folder unless `keep`."""
    for g in groups:
        g.remove()
    if keep:
        log("kept " + work)
    else:
        shutil.rmtree(work, ignore_errors=True)


def proc_cpu(pid):
    """utime+stime of a process (all its threads) in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class MemorySampler:
    """Samples a process's resident memory every 20 ms on a thread: the peak
    of its anonymous part (heap, stacks: what the machine cannot take back)
    and of its file-backed part (mapped files: page cache, which the kernel
    reclaims under pressure), which VmHWM alone does not tell apart."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = {"RssAnon": 0, "RssFile": 0, "VmRSS": 0}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def sample(self):
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    key = line.split(":", 1)[0]
                    if key in self.peak:
                        self.peak[key] = max(self.peak[key], int(line.split()[1]))
        except OSError:
            pass

    def run(self):
        while not self.stop.is_set():
            self.sample()
            time.sleep(0.02)

    def finish(self):
        self.stop.set()
        self.thread.join()
        self.sample()
        return {"peak_rss_anon_mb": round(self.peak["RssAnon"] / 1024, 1),
                "peak_rss_file_mb": round(self.peak["RssFile"] / 1024, 1),
                "peak_rss_sampled_mb": round(self.peak["VmRSS"] / 1024, 1)}


def vm_hwm_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


# ---------------------------------------------------------------- accounts

def account_list(domains, per_domain):
    out = []
    for d in range(domains):
        domain = "bench%d.example" % d
        for u in range(per_domain):
            local = "user%03d" % u
            out.append((local + "@" + domain, "%s/%s/" % (domain, local)))
    return out


def seed_ldif(accounts):
    """The accounts in the seed's LDIF form, for `hostmail ldif import`."""
    parts = []
    for domain in sorted({a.split("@")[1] for a, _ in accounts}):
        parts.append("dn: o=%s,%s\nobjectClass: top\nobjectClass: organization\no: %s\n" %
                     (domain, BASE, domain))
    for address, mailbox in accounts:
        domain = address.split("@")[1]
        parts.append(
            "dn: mail=%s,o=%s,%s\nobjectClass: top\nobjectClass: CourierMailAccount\n"
            "mail: %s\nhomeDirectory: /home/vmail/domains\nuidNumber: 65534\n"
            "gidNumber: 65534\nmailbox: %s\n" % (address, domain, BASE, address, mailbox))
    return "\n".join(parts)


def count_delivered(base, accounts):
    """Files in every account's new/, and the newest new/ mtime (ns)."""
    total, newest = 0, 0
    for _, mailbox in accounts:
        path = os.path.join(base, mailbox, "new")
        try:
            with os.scandir(path) as it:
                total += sum(1 for _ in it)
            newest = max(newest, os.stat(path).st_mtime_ns)
        except FileNotFoundError:
            pass
    return total, newest


# ---------------------------------------------------------------- tools

def settle():
    """Writes back what the previous phase left dirty (folders, inode
    tables, Postfix's queue) before the next one is measured, so that no
    measurement pays for its predecessor's write-back."""
    os.sync()
    time.sleep(1)


def run_disk_rate(args, work):
    settle()
    path = os.path.join(work, "disk-rate-%d" % time.monotonic_ns())
    # --keep: the files stay until the run's folder is removed at the end.
    # Deleting 5,000 inodes just before a server's load would slow that
    # server's file creation (ext4 skips recently freed inodes, scanning
    # inode tables in __ext4_new_inode -> recently_deleted).
    before = os.times()
    r = subprocess.run([args.disk_rate, "--dir", path, "--writers", "20", "--files",
                        str(args.disk_files), "--seconds", "30", "--size", str(args.size),
                        "--keep", "--json"], capture_output=True, text=True, timeout=120)
    after = os.times()
    if r.returncode != 0:
        raise RuntimeError("disk_rate failed: " + r.stderr.strip())
    out = json.loads(r.stdout)
    # Its CPU (nearly all of it the kernel's file system work) per 1,000
    # files: what the durable-Maildir steps alone cost on this machine.
    cpu = ((after.children_user - before.children_user) +
           (after.children_system - before.children_system))
    out["cpu_s_per_1000"] = round(cpu / max(out.get("files", 1), 1) * 1000, 3)
    return out


def run_load(args, port, recipients_file, messages=None, sequential=False):
    """Runs smtp_load; returns its JSON figures plus its own CPU seconds."""
    cmd = [args.smtp_load, "--port", str(port), "--recipients", recipients_file,
           "--messages", str(messages or args.messages), "--size", str(args.size),
           "--concurrency", str(args.sessions), "--json"]
    if sequential:
        cmd.append("--sequential")
    if args.no_pipelining:
        cmd.append("--no-pipelining")
    if args.wait_for_quit_reply:
        cmd.append("--wait-for-quit-reply")
    before = os.times()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    after = os.times()
    if not r.stdout.strip():
        raise RuntimeError("smtp_load printed nothing (exit %d): %s" % (r.returncode, r.stderr))
    out = json.loads(r.stdout)
    out["client_cpu_s"] = round((after.children_user - before.children_user) +
                                (after.children_system - before.children_system), 3)
    return out


def measure(name, args, port, maildir_base, accounts, recipients_file, cpu_now, extra=None):
    """The load and the wait for the last delivery; the figures of one server."""
    already = 0
    if args.warm:
        # One message to every account first, not measured: the Maildirs
        # then exist, as on a server that has been receiving mail.
        log("%s: warming up: one message to each of the %d accounts" % (name, len(accounts)))
        warm = run_load(args, port, recipients_file, messages=len(accounts), sequential=True)
        deadline = time.time() + args.delivery_timeout
        while time.time() < deadline:
            already, _ = count_delivered(maildir_base, accounts)
            if already >= warm["accepted"]:
                break
            time.sleep(0.05)
        time.sleep(1)
    log("%s: sending %d messages of %d bytes over %d sessions" %
        (name, args.messages, args.size, args.sessions))
    settle()
    cpu_before = cpu_now()
    load = run_load(args, port, recipients_file)
    log("%s: accepted %d, refused %d in %.2f s; waiting for the last delivery" %
        (name, load["accepted"], load["refused"], load["elapsed_s"]))
    deadline = time.time() + args.delivery_timeout
    while True:
        delivered, newest_ns = count_delivered(maildir_base, accounts)
        delivered -= already
        if delivered >= load["accepted"] or time.time() > deadline:
            break
        time.sleep(0.05)
    cpu_after = cpu_now()
    if delivered < load["accepted"]:
        log("%s: only %d of %d accepted messages delivered within %d s" %
            (name, delivered, load["accepted"], args.delivery_timeout))
    window = newest_ns / 1e9 - load["start_epoch"]
    cpu = cpu_after - cpu_before
    result = {
        "accepted": load["accepted"], "refused": load["refused"], "delivered": delivered,
        "first_error": load["first_error"],
        "accept_window_s": round(load["elapsed_s"], 3),
        "delivery_window_s": round(window, 3),
        "delivered_per_s": round(delivered / window, 1),
        "accepted_per_s": round(load["accept_rate"], 1),
        "data_p50_ms": load["data_p50_ms"], "data_p99_ms": load["data_p99_ms"],
        "data_max_ms": load["data_max_ms"],
        "cpu_s": round(cpu, 3),
        "cpu_s_per_1000": round(cpu / max(delivered, 1) * 1000, 3),
        "client_cpu_s": load["client_cpu_s"],
        "step_mean_ms": load.get("step_mean_ms", {}),
    }
    if extra:
        result.update(extra)
    log("%s: %s" % (name, json.dumps(result)))
    return result


# ---------------------------------------------------------------- hostmail

def run_hostmail(args, work, accounts, recipients_file, group, ldap=None, label=None):
    """hostmail with the embedded directory, or with `ldap` (a started
    slapd_fixture.Slapd holding the accounts) as its directory; `label`
    names its folder and its lines in the output."""
    label = label or ("hostmail-ldap" if ldap else "hostmail")
    d = os.path.join(work, label)
    r = subprocess.run([args.hostmail, "init", "--dir", d], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("hostmail init failed: " + r.stderr)
    config = os.path.join(d, "hostmail.toml")
    with open(config) as f:
        text = f.read()
    port = None
    for service in ("smtp", "submission", "smtps", "imap", "imaps", "pop3", "pop3s", "admin"):
        p = free_port()
        if service == "smtp":
            port = p
        text = re.sub(r'(?m)^%s = \[.*\]' % service, '%s = ["127.0.0.1:%d"]' % (service, p), text)
    # As Postfix's anvil default (smtpd_client_connection_count_limit = 50):
    # all 20 sessions come from 127.0.0.1, and a client may reconnect before
    # the server has finished closing its previous connection.
    text = text.replace("[limits]\n", "[limits]\nconnections_per_ip = 50\n", 1)
    if os.geteuid() == 0:
        # Mail belongs to an unprivileged owner, as with a real vmail user
        # (and as Postfix's virtual_uid_maps below).
        text = re.sub(r'(?m)^vmail_user = .*$', 'vmail_user = "nobody"', text)
        text = re.sub(r'(?m)^vmail_group = .*$', 'vmail_group = "nogroup"', text)
    if ldap:
        # As docs/configuration.md names the settings; the other [directory.ldap]
        # keys keep their defaults (pool_size, cache_ttl_s unless given).
        password_file = os.path.join(d, "ldap-password")
        with open(password_file, "w") as f:
            f.write(ldap.root_pw + "\n")
        os.chmod(password_file, 0o600)
        if 'backend = "sqlite"' not in text:
            raise RuntimeError("hostmail init wrote no [directory] backend = \"sqlite\" to replace")
        text = text.replace('backend = "sqlite"', 'backend = "ldap"')
        text += ('\n[directory.ldap]\nuris = ["%s"]\nbase = "%s"\nbind_dn = "%s"\n'
                 'bind_password_file = "%s"\n' % (ldap.uri, BASE, ldap.root_dn, password_file))
        if args.ldap_cache_ttl is not None:
            text += "cache_ttl_s = %d\n" % args.ldap_cache_ttl
    with open(config, "w") as f:
        f.write(text)
    if not ldap:
        ldif = os.path.join(work, "accounts.ldif")
        t = time.time()
        r = subprocess.run([args.hostmail, "--config", config, "ldif", "import", ldif],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("hostmail ldif import failed: " + r.stderr)
        log("hostmail: %d accounts imported in %.1f s" % (len(accounts), time.time() - t))
    maildir_base = os.path.join(d, "vmail", "domains")
    if os.geteuid() == 0:
        # Started as root, `hostmail serve` drops to the vmail user, which
        # must own its data (as after a packaged installation).
        for parent, dirs, files in os.walk(d):
            for name in [parent] + [os.path.join(parent, x) for x in dirs + files]:
                os.lchown(name, pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)

    serve_log = open(os.path.join(d, "serve.log"), "w")
    server = subprocess.Popen(
        [args.hostmail, "--config", config, "serve"], stdout=serve_log,
        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        preexec_fn=group.join_in_child() if group.available else None)
    try:
        wait_for_port(port, server)
        proc_before = proc_cpu(server.pid)

        def cpu_now():
            return group.usage() if group.available else proc_cpu(server.pid)

        perf = None
        if args.perf:
            # Samples hostmail (all threads) while the load runs; DWARF call
            # graphs because the release build keeps no frame pointers.
            perf = subprocess.Popen(["perf", "record", "-F", "499", "--call-graph", "dwarf",
                                     "-p", str(server.pid), "-o", args.perf],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        slapd_before = proc_cpu(ldap.pid) if ldap else None
        result = {"idle_rss_mb": round(vm_hwm_mb(server.pid), 1)}
        sampler = MemorySampler(server.pid) if args.memory else None
        result.update(measure(label, args, port, maildir_base, accounts, recipients_file, cpu_now))
        if sampler:
            result.update(sampler.finish())
        if ldap:
            result["slapd_cpu_s"] = round(proc_cpu(ldap.pid) - slapd_before, 3)
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait(timeout=120)
            log("perf data in %s: perf report -i %s --no-children" % (args.perf, args.perf))
        result["cpu_method"] = group.describe() if group.available else "/proc/<pid>/stat"
        result["cpu_s_proc_stat"] = round(proc_cpu(server.pid) - proc_before, 3)
        result["peak_rss_mb"] = round(vm_hwm_mb(server.pid), 1)
        return result
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        serve_log.close()


def export_accounts(args, work):
    """`hostmail ldif export` of the embedded run's directory."""
    r = subprocess.run([args.hostmail, "--config", os.path.join(work, "hostmail", "hostmail.toml"),
                        "ldif", "export"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("hostmail ldif export failed: " + r.stderr)
    return r.stdout


def private_slapd(args, work, accounts):
    """A started private slapd holding the embedded run's accounts."""
    import slapd_fixture
    if not slapd_fixture.available():
        raise RuntimeError("slapd and ldap-utils are needed for --peer postfix and "
                           "--directory both")
    export = export_accounts(args, work)
    # The indexes of docs/ldap/slapd.conf.example, so that each lookup is an
    # index hit as in a real installation (the fixture's "extra ACL" text is
    # placed inside the database section, where index lines belong).
    slapd = slapd_fixture.Slapd(
        extra_schemas=[os.path.join(slapd_fixture.SCHEMA_DIR, "misc.schema"),
                       os.path.join(REPO, "docs", "ldap", "courier.schema")],
        extra_acl=LDAP_INDEXES)
    try:
        slapd.start()
        t = time.time()
        slapd.add_ldif(export)
    except Exception:
        slapd.stop()
        raise
    log("slapd: %d accounts loaded in %.1f s" % (len(accounts), time.time() - t))
    return slapd


def run_hostmail_ldap(args, work, accounts, recipients_file, group):
    slapd = private_slapd(args, work, accounts)
    try:
        return run_hostmail(args, work, accounts, recipients_file, group, ldap=slapd)
    finally:
        slapd.stop()  # by PID


# ---------------------------------------------------------------- Postfix

def ensure_packages(packages):
    def missing():
        out = []
        for p in packages:
            r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True,
                               text=True)
            if "install ok installed" not in r.stdout:
                out.append(p)
        return out

    todo = missing()
    if not todo:
        return
    if os.geteuid() != 0:
        raise RuntimeError("packages %s are missing; run as root to install them" % todo)
    log("installing " + " ".join(todo))
    # Installing must not start a system-wide Postfix: policy-rc.d exit 101
    # tells invoke-rc.d to start nothing (the same trick as
    # scripts/setup-deps.sh), and "No configuration" writes no main.cf.
    policy = "/usr/sbin/policy-rc.d"
    own_policy = not os.path.exists(policy)
    if own_policy:
        with open(policy, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(policy, 0o755)
    try:
        subprocess.run(["debconf-set-selections"], check=True, text=True,
                       input="postfix postfix/main_mailer_type select No configuration\n")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = ["apt-get", "install", "-y", "--no-install-recommends"] + todo
        if subprocess.run(cmd, env=env).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, check=True)
            subprocess.run(cmd, env=env, check=True)
    finally:
        if own_policy:
            os.remove(policy)
    if missing():
        raise RuntimeError("could not install " + " ".join(missing()))


POSTFIX_MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command
{port}      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

LDAP_MAP = """\
server_host = {uri}
version = 3
bind = no
search_base = {base}
query_filter = {filter}
result_attribute = {attribute}
"""


class PrivatePostfix:
    """Debian's Postfix with LDAP maps, in its own folders, on its own port."""

    def __init__(self, work, ldap_uri, maildir_base, group):
        self.root = os.path.join(work, "postfix")
        self.etc = os.path.join(self.root, "etc")
        self.queue = os.path.join(self.root, "queue")
        self.data = os.path.join(self.root, "data")
        self.maildir_base = maildir_base
        self.port = free_port()
        self.group = group
        self.started = False
        for d in (self.etc, self.queue, self.data, maildir_base):
            os.makedirs(d, exist_ok=True)
        shutil.chown(self.data, "postfix", "postfix")
        # Mail belongs to nobody, as hostmail's when run as root.
        shutil.chown(maildir_base, "nobody", "nogroup")
        maps = {
            "domains": ("(&(o=%s)(objectClass=organization))", "o"),
            "mailboxes": ("(&(mail=%s)(objectClass=CourierMailAccount))", "mailbox"),
            "aliases": ("(&(mail=%s)(objectClass=CourierMailAlias))", "maildrop"),
        }
        for name, (filt, attribute) in maps.items():
            with open(os.path.join(self.etc, name + ".cf"), "w") as f:
                f.write(LDAP_MAP.format(uri=ldap_uri, base=BASE, filter=filt,
                                        attribute=attribute))
        main_cf = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue,
            "data_directory": self.data,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "bench-postfix.localdomain",
            "mydomain": "localdomain",
            "mydestination": "",
            "local_transport": "error:local delivery is disabled",
            "alias_maps": "",
            "alias_database": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "relay_domains": "",
            "smtpd_relay_restrictions": "reject_unauth_destination",
            "virtual_mailbox_domains": "ldap:" + os.path.join(self.etc, "domains.cf"),
            "virtual_mailbox_maps": "ldap:" + os.path.join(self.etc, "mailboxes.cf"),
            "virtual_alias_maps": "ldap:" + os.path.join(self.etc, "aliases.cf"),
            "virtual_mailbox_base": maildir_base,
            "virtual_uid_maps": "static:65534",
            "virtual_gid_maps": "static:65534",
            "virtual_minimum_uid": "100",
            # Postfix logs to a file of its own (no syslog needed); the
            # prefix list must allow the path or every command fails silently.
            "maillog_file": os.path.join(self.data, "postfix.log"),
            "maillog_file_prefixes": self.root,
            "biff": "no",
            "append_dot_mydomain": "no",
            "readme_directory": "no",
        }
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            for key, value in main_cf.items():
                f.write("%s = %s\n" % (key, value))
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(POSTFIX_MASTER_CF.format(port=self.port))

    def postfix(self, *args, **kw):
        return subprocess.run(["postfix", "-c", self.etc] + list(args), capture_output=True,
                              text=True, timeout=120, **kw)

    def start(self):
        r = self.postfix("check")
        if r.returncode != 0:
            raise RuntimeError("postfix check failed:\n" + r.stderr)
        r = self.postfix("start",
                         preexec_fn=self.group.join_in_child() if self.group.available else None)
        if r.returncode != 0:
            raise RuntimeError("postfix start failed:\n" + r.stdout + r.stderr)
        self.started = True
        wait_for_port(self.port)

    def master_pid(self):
        try:
            with open(os.path.join(self.queue, "pid", "master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self):
        if not self.started:
            return
        pid = self.master_pid()
        self.postfix("stop")
        deadline = time.time() + 30
        while pid and time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            if pid:
                log("postfix master %d did not stop; sending SIGKILL" % pid)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.started = False


def run_postfix(args, work, accounts, recipients_file, group):
    ensure_packages(["postfix", "postfix-ldap"])
    slapd = private_slapd(args, work, accounts)
    postfix = None
    try:
        if group.available:
            group.add(slapd.pid)
        maildir_base = os.path.join(work, "postfix", "vmail")
        postfix = PrivatePostfix(work, slapd.uri, maildir_base, group)
        postfix.start()
        version = subprocess.run(["postconf", "-c", postfix.etc, "-h", "mail_version"],
                                 capture_output=True, text=True).stdout.strip()
        if not group.available:
            raise RuntimeError("no writable cgroup: Postfix's CPU cannot be measured")
        result = measure("postfix", args, postfix.port, maildir_base, accounts,
                         recipients_file, group.usage,
                         {"version": version, "cpu_method": group.describe()})
        return result
    finally:
        if postfix:
            postfix.stop()
        slapd.stop()  # by PID; it leaves the cgroup as it exits


# ---------------------------------------------------------------- report

def verdict(value, op, threshold):
    if value is None:
        return "n/a"
    return "PASS" if (value >= threshold if op == ">=" else value <= threshold) else "FAIL"


def report(result):
    m = result["machine"]
    lines = ["machine: %d cores, %s, kernel %s, %.1f GB RAM, disk %s" %
             (m["nproc"], m["cpu"], m["kernel"], m["memory_gb"], m["disk"])]
    lines.append("load: %(messages)d messages of %(size)d bytes, %(sessions)d sessions, one "
                 "message per connection, %(accounts)d accounts in %(domains)d domains, "
                 "Maildirs %(maildirs)s" % result["load"])
    for d in result["disk"]:
        lines.append("disk: %.1f durable Maildir files/s (20 writers, %d files); one file "
                     "p50 %.2f ms, p99 %.2f ms; CPU %.3f s per 1,000 files" %
                     (d["files_per_s"], d["files"], d["p50_ms"], d["p99_ms"],
                      d.get("cpu_s_per_1000", 0)))
    for name in ("hostmail", "hostmail-ldap", "hostmail-again", "postfix"):
        s = result.get(name)
        if not s:
            continue
        lines.append(
            "%s: delivered %d/%d in %.2f s = %.1f msg/s (accepted %.1f/s); DATA reply p50 %.2f "
            "ms, p99 %.2f ms, max %.2f ms; CPU %.2f s = %.3f s per 1,000 (%s); client CPU %.2f s"
            % (name, s["delivered"], s["accepted"], s["delivery_window_s"], s["delivered_per_s"],
               s["accepted_per_s"], s["data_p50_ms"], s["data_p99_ms"], s["data_max_ms"],
               s["cpu_s"], s["cpu_s_per_1000"], s["cpu_method"], s["client_cpu_s"]))
        if "slapd_cpu_s" in s:
            lines.append("  %s: slapd CPU %.2f s (not in the figure above)" %
                         (name, s["slapd_cpu_s"]))
        if s.get("refused"):
            lines.append("  %s refused %d messages; first error: %s" %
                         (name, s["refused"], s["first_error"]))
    h = result["hostmail"]
    lines.append("disk's own p99 per durable file at 20 writers (the floor under a DATA reply): "
                 "%s ms" % ", ".join("%.2f" % d["p99_ms"] for d in result["disk"]))
    lines.append("hostmail peak RSS %.1f MB; CPU by /proc/<pid>/stat %.2f s" %
                 (h["peak_rss_mb"], h["cpu_s_proc_stat"]))
    r = result["ratios"]
    lines.append("")
    lines.append("%-42s %12s %8s  %s" % ("target", "measured", "goal", "verdict"))
    for label, key, op, threshold in TARGETS:
        value = r.get(key)
        shown = "%.2f" % value if value is not None else "n/a"
        lines.append("%-42s %12s %3s %-5g %s" % (label, shown, op, threshold,
                                                 verdict(value, op, threshold)))
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"),
                   help="CMake build folder with src/app/hostmail and bench/ tools")
    p.add_argument("--hostmail", help="hostmail binary (default: in --build-dir)")
    p.add_argument("--smtp-load", help="smtp_load binary (default: in --build-dir)")
    p.add_argument("--disk-rate", help="disk_rate binary (default: in --build-dir)")
    p.add_argument("--peer", choices=["postfix"], help="also measure this peer")
    p.add_argument("--directory", choices=["embedded", "both"], default="embedded",
                   help="both: also run hostmail with backend = \"ldap\" against a private "
                   "slapd holding the same accounts, and compare (issue 6)")
    p.add_argument("--ldap-cache-ttl", type=int, metavar="SECONDS",
                   help="[directory.ldap] cache_ttl_s for the LDAP run (default: hostmail's)")
    p.add_argument("--no-pipelining", action="store_true",
                   help="one SMTP command per round trip (default: MAIL, RCPT and DATA "
                        "in one write when the server offers PIPELINING)")
    p.add_argument("--wait-for-quit-reply", action="store_true",
                   help="read the 221 after QUIT before closing (default: close at once, as "
                        "Postfix's smtp_skip_quit_response = yes does)")
    p.add_argument("--warm", action="store_true",
                   help="before each server's measured load, send one unmeasured message to "
                        "every account, so that the load finds every Maildir in place")
    p.add_argument("--messages", type=int, default=5000)
    p.add_argument("--size", type=int, default=5 * 1024)
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--domains", type=int, default=10)
    p.add_argument("--accounts-per-domain", type=int, default=100)
    p.add_argument("--disk-files", type=int, default=5000,
                   help="files per disk_rate measurement")
    p.add_argument("--delivery-timeout", type=int, default=600,
                   help="seconds to wait for the last delivery after the load")
    p.add_argument("--work-dir", help="parent of the run's temporary folder (default: $TMPDIR)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument("--json-out", help="also write all figures to this JSON file")
    p.add_argument("--memory", action="store_true",
                   help="measure hostmail's memory under large messages instead: by default "
                   "40 messages of 9 MB over 40 sessions at once to 40 accounts; reports "
                   "peak RSS (VmHWM) and the sampled peaks of its anonymous and file-backed "
                   "parts; no disk rate, no peer, no targets")
    p.add_argument("--perf", metavar="FILE",
                   help="record a perf profile of hostmail during its load into FILE "
                   "(its CPU figures then include perf's overhead)")
    args = p.parse_args()
    if args.memory:
        defaults = {"messages": 5000, "size": 5 * 1024, "sessions": 20, "domains": 10,
                    "accounts_per_domain": 100}
        mine = {"messages": 40, "size": 9 * 1000 * 1000, "sessions": 40, "domains": 1,
                "accounts_per_domain": 40}
        for key, value in mine.items():
            if getattr(args, key) == defaults[key]:
                setattr(args, key, value)
    args.hostmail = args.hostmail or os.path.join(args.build_dir, "src", "app", "hostmail")
    args.smtp_load = args.smtp_load or os.path.join(args.build_dir, "bench", "smtp_load")
    args.disk_rate = args.disk_rate or os.path.join(args.build_dir, "bench", "disk_rate")
    for tool in (args.hostmail, args.smtp_load, args.disk_rate):
        if not os.access(tool, os.X_OK):
            sys.exit("run_smtp_bench: %s is missing; build it or point --build-dir at it" % tool)

    work = tempfile.mkdtemp(prefix="hm-smtp-bench-", dir=args.work_dir)
    os.chmod(work, 0o755)  # Postfix's unprivileged daemons must reach its folders
    log("work folder " + work)
    accounts = account_list(args.domains, args.accounts_per_domain)
    with open(os.path.join(work, "accounts.ldif"), "w") as f:
        f.write(seed_ldif(accounts))
    recipients_file = os.path.join(work, "recipients.txt")
    with open(recipients_file, "w") as f:
        f.write("\n".join(a for a, _ in accounts) + "\n")

    result = {"machine": machine(work),
              "load": {"messages": args.messages, "size": args.size, "sessions": args.sessions,
                       "accounts": len(accounts), "domains": args.domains,
                       "pipelining": not args.no_pipelining,
                       "quit": "waits for 221" if args.wait_for_quit_reply else "closes after QUIT",
                       "maildirs": "in place (--warm)" if args.warm else "created by the load"},
              "disk": []}
    groups = []
    if args.memory:
        try:
            group = CpuGroup("hm-bench-hostmail")
            groups.append(group)
            h = run_hostmail(args, work, accounts, recipients_file, group)
        finally:
            for g in groups:
                g.remove()
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
        result["hostmail"] = h
        print("memory: %d messages of %d bytes over %d sessions: accepted %d, delivered %d\n"
              "  idle RSS %.1f MB; peak RSS (VmHWM) %.1f MB; sampled peaks: anonymous %.1f MB, "
              "file-backed %.1f MB" %
              (args.messages, args.size, args.sessions, h["accepted"], h["delivered"],
               h["idle_rss_mb"], h["peak_rss_mb"], h["peak_rss_anon_mb"], h["peak_rss_file_mb"]))
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump(result, f, indent=2)
        return 0 if h["delivered"] == args.messages else 1
    try:
        result["disk"].append(run_disk_rate(args, work))
        log("disk: %.1f files/s" % result["disk"][-1]["files_per_s"])
        group = CpuGroup("hm-bench-hostmail")
        groups.append(group)
        result["hostmail"] = run_hostmail(args, work, accounts, recipients_file, group)
        if args.directory == "both":
            group = CpuGroup("hm-bench-hostmail-ldap")
            groups.append(group)
            result["hostmail-ldap"] = run_hostmail_ldap(args, work, accounts, recipients_file,
                                                        group)
            # The embedded directory once more, after the LDAP run: what runs
            # first in a run is slower on this kind of disk (inodes freed by
            # the previous run cost more to allocate for a few minutes), so
            # the LDAP figure is compared with the mean of one embedded run
            # before it and one after it.
            group = CpuGroup("hm-bench-hostmail-again")
            groups.append(group)
            result["hostmail-again"] = run_hostmail(args, work, accounts, recipients_file, group,
                                                    label="hostmail-again")
        if args.peer == "postfix":
            group = CpuGroup("hm-bench-postfix")
            groups.append(group)
            result["postfix"] = run_postfix(args, work, accounts, recipients_file, group)
        result["disk"].append(run_disk_rate(args, work))
        log("disk: %.1f files/s" % result["disk"][-1]["files_per_s"])
    finally:
        remove_run(groups, work, args.keep)

    h, pf, hl = result["hostmail"], result.get("postfix"), result.get("hostmail-ldap")
    again = result.get("hostmail-again")
    embedded_mean = (h["delivered_per_s"] + again["delivered_per_s"]) / 2 if again else None
    disk_rate = sum(d["files_per_s"] for d in result["disk"]) / len(result["disk"])
    result["ratios"] = {
        "rate_vs_disk": round(h["delivered_per_s"] / disk_rate, 3),
        "p99_ms": h["data_p99_ms"],
        "rss_mb": h["peak_rss_mb"],
        "rate_vs_postfix": round(h["delivered_per_s"] / pf["delivered_per_s"], 3) if pf else None,
        "cpu_vs_postfix": round(h["cpu_s_per_1000"] / pf["cpu_s_per_1000"], 3) if pf else None,
        "ldap_vs_embedded": (round(hl["delivered_per_s"] / embedded_mean, 3)
                             if hl else None),
    }
    text = report(result)
    print(text)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f, indent=2)
    failed = any(verdict(result["ratios"].get(k), op, t) == "FAIL" for _, k, op, t in TARGETS)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
