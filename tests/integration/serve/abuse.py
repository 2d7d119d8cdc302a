#!/usr/bin/env python3
"""abuse.py HOST PORT PID: bounded abuse of `dbdeck serve`, printing TAP lines
(numbered from $TAP_FIRST, default 1) and the count last as "#count N".

500 concurrent connections each asking /livez; 30 slow clients sending one
byte a second, then going quiet (cut by the idle timeout); oversized headers; malformed request lines; unknown paths;
HEAD and POST; and, while the slow clients hold their connections, a normal
/metrics scrape that must answer within 1 s. RSS of PID before and after.
"""
import os, socket, sys, threading, time

host, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
n = int(os.environ.get("TAP_FIRST", "1")) - 1
failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, what), flush=True)


def rss_kb():
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def request(raw, timeout=5.0):
    """Sends raw bytes; returns the status code (int), or 0 when the server closed without one."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(raw)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        parts = data.split(b" ", 2)
        return int(parts[1]) if len(parts) > 1 and parts[0].startswith(b"HTTP/") else 0
    except (ConnectionError, socket.timeout):
        return 0
    finally:
        s.close()


def get(path, method="GET", extra=b""):
    return request(b"%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n" % (method.encode(), path.encode(), extra))


def scrape_time():
    t0 = time.monotonic()
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return time.monotonic() - t0, data.startswith(b"HTTP/1.1 200") and b"db_up{" in data


rss0 = rss_kb()

# 500 concurrent connections, all open at once, then each asks /livez.
socks = []
for _ in range(500):
    try:
        socks.append(socket.create_connection((host, port), timeout=10))
    except OSError:
        break
ok(len(socks) == 500, "500 connections open at once (%d)" % len(socks))
for s in socks:
    s.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
answered = 0
for s in socks:
    try:
        if s.recv(64).startswith(b"HTTP/1.1 200"):
            answered += 1
    except OSError:
        pass
    s.close()
ok(answered == 500, "each of the 500 got its 200 (%d)" % answered)

# Slow clients: one byte a second, in threads; the server must time them out.
slow_closed = []


def slow_client():
    """Trickles 6 bytes of a request, one a second, then goes quiet; records how
    long after its last byte the server closed it (None: never)."""
    s = socket.create_connection((host, port), timeout=12)
    try:
        for b in b"GET /me":
            s.send(bytes([b]))
            time.sleep(1)
        quiet = time.monotonic()
        got = s.recv(4096)  # the server's 408, or b"" on close
        while got:
            got = s.recv(4096)
        slow_closed.append(time.monotonic() - quiet)
    except socket.timeout:
        slow_closed.append(None)
    except OSError:
        slow_closed.append(time.monotonic() - quiet)
    finally:
        s.close()


threads = [threading.Thread(target=slow_client, daemon=True) for _ in range(30)]
for t in threads:
    t.start()
time.sleep(0.5)
took, good = scrape_time()
ok(good and took < 1.0, "a /metrics scrape during the abuse answers within 1 s (%.3f s)" % took)

# Oversized headers, malformed request lines, unknown paths, methods.
ok(get("/metrics", extra=b"X-Big: " + b"a" * 40000 + b"\r\n") in (0, 413, 431),
   "a 40 KB header is refused (431 or closed)")
codes = [request(b"GARBAGE\r\n\r\n"), request(b"GET\r\n\r\n"), request(b"GET /metrics HTTP/9.9\r\n\r\n"),
         request(b"\x00\x01\x02 / HTTP/1.1\r\n\r\n")]
ok(all(c in (0, 400, 404, 405, 501, 505) for c in codes), "malformed request lines are refused %s" % codes)
ok(get("/nope") == 404 and get("/../../etc/passwd") == 404, "unknown paths: 404")
ok(get("/metrics", "HEAD") == 200 and get("/metrics", "POST") == 405, "HEAD 200, POST 405")
ok(get("/livez", "OPTIONS") == 405, "OPTIONS 405")

for t in threads:
    t.join(20)
cut = [x for x in slow_closed if x is not None]
ok(len(cut) == 30 and max(cut) < 6, "slow clients, once quiet, are cut by connection_timeout 3s "
   "(%d of 30, longest %.1f s after their last byte)"
   % (len(cut), max(cut) if cut else -1))
took, good = scrape_time()
ok(good and took < 1.0, "the server still answers after the abuse (%.3f s)" % took)
rss1 = rss_kb()
ok(0 < rss1 < rss0 + 20 * 1024, "RSS bounded: %d kB before, %d kB after" % (rss0, rss1))
print("#count %d %d" % (n, failed))
