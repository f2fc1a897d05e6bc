"""The IMAP client side of bench/run_imap_bench.py: raw sockets, no imaplib.

imaplib parses every response line by line in Python and would take longer
than the server to read a 20,000-line FETCH; this client only looks for the
tagged completion line at the end of what it has received (tags are unique,
so a literal in the data cannot fake one) and hands back the raw bytes.
The LOGIN load runs in worker processes (multiprocessing), one blocking
connection at a time each, and reports its own CPU time so that the report
can say how far the client was from being the bottleneck.
"""

import resource
import signal
import socket
import struct
import time


class ImapError(Exception):
    pass


class Connection:
    """One IMAP connection with blocking I/O."""

    def __init__(self, port, source=None, timeout=120):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.counter = 0
        self.greeting = self.read_line()
        if not self.greeting.startswith(b"* OK"):
            raise ImapError("greeting: %r" % self.greeting[:200])

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ImapError("the server closed the connection")
        self.buf += chunk

    def read_line(self):
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buf[:end])
                del self.buf[:end + 2]
                return line
            self._fill()

    def send(self, data):
        self.sock.sendall(data)

    def start(self, command):
        """Sends a command; returns its tag."""
        self.counter += 1
        tag = b"b%d" % self.counter
        self.send(tag + b" " + command.encode() + b"\r\n")
        return tag

    def finish(self, tag, check=True):
        """Reads up to the tagged completion of `tag`: (status line, data
        before it)."""
        needle = b"\r\n" + tag + b" "
        start = 0
        while True:
            if self.buf.startswith(tag + b" "):
                at = -2
            else:
                at = self.buf.find(needle, start)
            if at != -1:
                end = self.buf.find(b"\r\n", at + 2)
                if end >= 0:
                    data = bytes(self.buf[:at + 2])
                    status = bytes(self.buf[at + 2:end])
                    del self.buf[:end + 2]
                    if check and not status.startswith(tag + b" OK"):
                        raise ImapError(status.decode(errors="replace")[:300])
                    return status, data
            start = max(0, len(self.buf) - len(needle))
            self._fill()

    def command(self, command, check=True):
        return self.finish(self.start(command), check)

    def timed(self, command):
        """(seconds, data) of a command, from sending it to its completion."""
        t = time.perf_counter()
        _, data = self.command(command)
        return time.perf_counter() - t, data

    def login(self, user, password):
        self.command("LOGIN %s %s" % (quote(user), quote(password)))

    def capabilities(self):
        _, data = self.command("CAPABILITY")
        for line in data.split(b"\r\n"):
            if line.startswith(b"* CAPABILITY "):
                return set(line[13:].decode().upper().split())
        return set()

    def append(self, mailbox, message, literal_plus):
        """APPEND with a synchronizing literal, or LITERAL+ when offered."""
        self.counter += 1
        tag = b"b%d" % self.counter
        head = b"%s APPEND %s {%d%s}\r\n" % (tag, quote(mailbox).encode(), len(message),
                                              b"+" if literal_plus else b"")
        if literal_plus:
            self.send(head + message + b"\r\n")
        else:
            self.send(head)
            line = self.read_line()
            if not line.startswith(b"+"):
                raise ImapError("APPEND: %r" % line[:200])
            self.send(message + b"\r\n")
        return self.finish(tag)


def quote(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def cpu_self():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _read_until(sock, buf, needles):
    """Reads into `buf` until it ends a line that starts with one of
    `needles`; False when the server closed the connection first."""
    while True:
        for n in needles:
            at = buf.find(n)
            if at >= 0 and buf.find(b"\r\n", at) >= 0:
                return True
        chunk = sock.recv(65536)
        if not chunk:
            return False
        buf += chunk


def login_worker(args):
    """One of the parallel LOGIN+LOGOUT clients (a multiprocessing worker):
    connect, greeting, LOGIN, LOGOUT, close, over and over from start_at for
    `seconds`. As lean as Python allows (no getaddrinfo, blocking sockets
    with a kernel receive timeout instead of Python's poll before every
    recv). Returns (logins, failures, first failure, latencies in s, CPU s)."""
    port, user, password, start_at, seconds = args
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    cpu0 = cpu_self()
    while time.time() < start_at:
        time.sleep(min(0.01, max(0.0, start_at - time.time())))
    end = start_at + seconds
    done, failed, first_error, latencies = 0, 0, None, []
    login = b"a LOGIN %s %s\r\n" % (quote(user).encode(), quote(password).encode())
    address = ("127.0.0.1", port)
    timeout = struct.pack("ll", 30, 0)
    perf = time.perf_counter
    while time.time() < end:
        t = perf()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeout)
            s.connect(address)
            # Each buffer starts with "\n" so that a needle "\nTAG" only
            # matches at the start of a line.
            buf = bytearray(b"\n")
            if not _read_until(s, buf, (b"\n* ",)):
                raise ImapError("closed before the greeting")
            buf = bytearray(b"\n")
            s.sendall(login)
            if (not _read_until(s, buf, (b"\na OK", b"\na NO", b"\na BAD"))
                    or b"\na OK" not in buf):
                raise ImapError("LOGIN: %r" % bytes(buf[-200:]))
            s.sendall(b"z LOGOUT\r\n")
            _read_until(s, buf, (b"\nz OK",))
            done += 1
            latencies.append(perf() - t)
        except (OSError, ImapError) as e:
            failed += 1
            first_error = first_error or "%s: %s" % (type(e).__name__, e)
            time.sleep(0.01)
        finally:
            s.close()
    return done, failed, first_error, latencies, cpu_self() - cpu0


def raise_nofile(want):
    """Raises RLIMIT_NOFILE to `want` (the hard limit too when allowed);
    returns the soft limit reached."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def open_idle(port, accounts, count, sources, batch=100):
    """Up to `count` connections, each logged in (accounts taken in turn,
    source addresses in turn) and in IDLE: (open Connections, None) or,
    when the server refused one, (those opened before, why)."""
    raise_nofile(count + 1000)
    conns = []
    i = 0
    while i < count:
        group = []
        try:
            for j in range(i, min(count, i + batch)):
                c = Connection(port, source=sources[j % len(sources)], timeout=60)
                group.append(c)
                user, password = accounts[j % len(accounts)]
                c.pending = c.start("LOGIN %s %s" % (quote(user), quote(password)))
            for c in group:
                c.finish(c.pending)
                c.pending = c.start("IDLE")
            for c in group:
                line = c.read_line()
                while line.startswith(b"* "):
                    line = c.read_line()
                if not line.startswith(b"+"):
                    raise ImapError("IDLE: %r" % line[:200])
        except (OSError, ImapError) as e:
            for c in group:
                c.close()
            return conns, "after %d connections: %s: %s" % (len(conns), type(e).__name__, e)
        conns.extend(group)
        i += batch
    return conns, None


def trivial_server(sock):
    """A canned IMAP responder on a listening socket (one process, epoll):
    greeting, OK to every command, BYE and close on LOGOUT. The LOGIN load
    against it measures the client's own ceiling."""
    import selectors
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sel = selectors.DefaultSelector()
    sock.setblocking(False)
    sel.register(sock, selectors.EVENT_READ)
    pending = {}
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is sock:
                try:
                    c, _ = sock.accept()
                except BlockingIOError:
                    continue
                c.sendall(b"* OK trivial ready\r\n")
                pending[c] = b""
                sel.register(c, selectors.EVENT_READ)
                continue
            data = s.recv(4096)
            buf = pending.get(s, b"") + data
            close = not data
            while b"\r\n" in buf and not close:
                line, buf = buf.split(b"\r\n", 1)
                tag, _, rest = line.partition(b" ")
                if rest.upper().startswith(b"LOGOUT"):
                    s.sendall(b"* BYE bye\r\n" + tag + b" OK done\r\n")
                    close = True
                else:
                    s.sendall(tag + b" OK done\r\n")
            if close:
                sel.unregister(s)
                s.close()
                pending.pop(s, None)
            else:
                pending[s] = buf
