/*
 * quote.c: text quoted in messages (a config value, a key, a section name in
 * "unknown key 'x'"), and the strict UTF-8 check for text that must be well
 * formed (Prometheus label values and help). Both decode through
 * dd_text_decode (utf8.c), the one UTF-8 decoder of the tree.
 */
#include <string.h>

#include "dbdeck/text.h"

bool
dd_text_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		i += dd_text_decode(p + i, len - i, &cp);
		if (cp == DD_TEXT_INVALID)
			return false;
	}
	return true;
}

/* True for what a message shows as '?': C0 controls, DEL, C1 controls. */
static bool
is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

const char *
dd_text_quote(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, cap = len > 4 ? len - 4 : 0;

	if (cap > DD_TEXT_QUOTE_MAX)
		cap = DD_TEXT_QUOTE_MAX;
	while (*p && o < cap) {
		uint32_t cp;
		size_t n = dd_text_decode(p, strnlen((const char *)p, 4), &cp);
		bool bad = cp == DD_TEXT_INVALID || is_control(cp);
		if (bad)
			n = 1; /* one '?' per byte */
		if (o + n > cap)
			break;
		if (bad)
			buf[o] = '?';
		else
			memcpy(buf + o, p, n);
		o += n;
		p += n;
	}
	if (*p && len >= 4) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	if (len > 0)
		buf[o < len ? o : len - 1] = '\0';
	return buf;
}
