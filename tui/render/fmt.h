/*
 * fmt.h: how figures look on the console: short durations ("850ms", "12s",
 * "3m04s"), counts ("1.2k"), bytes ("3.4MB") and UTC clock times. Every
 * function writes into a caller's buffer (always terminated) and returns it;
 * unknown values (NAN, negative counts) print as "-".
 */
#ifndef DD_FMT_H
#define DD_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Seconds: "0.25s" under 10 s, "12s", "3m04s", "2h05m", "3d04h". */
char *fmt_secs(char *buf, size_t len, double s);
/* Nanoseconds as a wait time: "0.3ms", "12ms", "1.25s", ... */
char *fmt_ns(char *buf, size_t len, int64_t ns);
/* A count or rate: "0", "999", "1.2k", "12k", "1.2M", "3.4G"; decimals for small rates. */
char *fmt_count(char *buf, size_t len, double v);
/* Bytes: "512B", "1.2kB", "3.4MB", "5.0GB". */
char *fmt_bytes(char *buf, size_t len, int64_t b);
/* UTC time of day "13:45:02"; with_date 1: "2026-11-23 13:45:02"; 2: "11-23 13:45:02". */
char *fmt_utc(char *buf, size_t len, int64_t wall_ms, int with_date);
/* A refresh interval: "250ms", "1s", "2.5s", "1m". */
char *fmt_interval(char *buf, size_t len, int64_t ms);

#endif
