/*
 * glyphs.c: the UTF-8 and ASCII glyph sets (glyphs.h).
 */
#include "glyphs.h"

const struct glyphs glyphs_utf8 = {
    .utf8 = true,
    .hline = "\u2500",
    .vline = "\u2502",
    .tl = "\u250c",
    .tr = "\u2510",
    .bl = "\u2514",
    .br = "\u2518",
    .bar_used = "\u2588",
    .bar_idle = "\u2592",
    .bar_empty = "\u2591",
    .spark = {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"},
    .spark_none = " ",
    .ellipsis = "\u2026",
    .sep = " \u00b7 ",
    .up = "\u2191",
    .down = "\u2193",
    .cursor = "\u25b6",
};

const struct glyphs glyphs_ascii = {
    .utf8 = false,
    .hline = "-",
    .vline = "|",
    .tl = "+",
    .tr = "+",
    .bl = "+",
    .br = "+",
    .bar_used = "#",
    .bar_idle = "=",
    .bar_empty = ".",
    .spark = {"_", ".", ",", ":", "-", "=", "+", "#"},
    .spark_none = " ",
    .ellipsis = "...",
    .sep = " | ",
    .up = "^",
    .down = "v",
    .cursor = ">",
};

const struct glyphs *
glyphs_pick(bool locale_utf8, bool force_ascii)
{
	return (locale_utf8 && !force_ascii) ? &glyphs_utf8 : &glyphs_ascii;
}
