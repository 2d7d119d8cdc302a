/*
 * fmt.c: figure formatting for the console (fmt.h).
 */
#include "fmt.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <time.h>

char *
fmt_secs(char *buf, size_t len, double s)
{
	if (isnan(s) || s < 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (s < 10)
		snprintf(buf, len, "%.1fs", s);
	else if (s < 60)
		snprintf(buf, len, "%ds", (int)s);
	else if (s < 3600)
		snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
	else if (s < 86400)
		snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)fmod(s, 3600) / 60);
	else if (s < 1e9)
		snprintf(buf, len, "%dd%02dh", (int)(s / 86400), (int)fmod(s, 86400) / 3600);
	else
		snprintf(buf, len, "long");
	return buf;
}

char *
fmt_ns(char *buf, size_t len, int64_t ns)
{
	if (ns < 0)
		snprintf(buf, len, "-");
	else if (ns < 10000000)
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	else if (ns < 1000000000)
		snprintf(buf, len, "%dms", (int)(ns / 1000000));
	else
		return fmt_secs(buf, len, (double)ns / 1e9);
	return buf;
}

char *
fmt_count(char *buf, size_t len, double v)
{
	static const char units[] = "kMGTP";
	if (isnan(v) || v < 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (v < 10 && v != floor(v)) {
		snprintf(buf, len, "%.1f", v);
		return buf;
	}
	if (v < 1000) {
		snprintf(buf, len, "%d", (int)lround(v));
		return buf;
	}
	int u = -1;
	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	if (v < 10)
		snprintf(buf, len, "%.1f%c", v, units[u]);
	else
		snprintf(buf, len, "%d%c", (int)v, units[u]);
	return buf;
}

char *
fmt_bytes(char *buf, size_t len, int64_t b)
{
	static const char *const units[] = {"kB", "MB", "GB", "TB", "PB"};
	if (b < 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (b < 1024) {
		snprintf(buf, len, "%" PRId64 "B", b);
		return buf;
	}
	double v = (double)b;
	int u = -1;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.1f%s" : "%.0f%s", v, units[u]);
	return buf;
}

char *
fmt_utc(char *buf, size_t len, int64_t wall_ms, int with_date)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	if (wall_ms <= 0 || !gmtime_r(&t, &tm)) {
		snprintf(buf, len, "-");
		return buf;
	}
	size_t n;
	if (with_date == 2)
		n = strftime(buf, len, "%m-%d %H:%M:%S", &tm);
	else if (with_date)
		n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	else
		n = strftime(buf, len, "%H:%M:%S", &tm);
	if (n == 0 && len)
		buf[0] = '\0';
	return buf;
}

char *
fmt_interval(char *buf, size_t len, int64_t ms)
{
	if (ms < 1000)
		snprintf(buf, len, "%" PRId64 "ms", ms);
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%" PRId64 "m", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%" PRId64 "s", ms / 1000);
	else
		snprintf(buf, len, "%.1fs", (double)ms / 1000);
	return buf;
}
