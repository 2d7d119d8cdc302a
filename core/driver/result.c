/*
 * result.c: struct dd_result, the engine-neutral buffered result the drivers
 * return: column names, rows × columns of text values (NULL kept distinct
 * from ""), lengths, and the affected-row count. The drivers copy the client
 * library's result into it so callers never hold a PGresult or MYSQL_RES.
 */
#include "driver/driver_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct dd_result {
	int ncols;
	int nrows;
	int cap_rows;
	char **colnames; /* ncols */
	char **values;   /* nrows * ncols, NULL = SQL NULL */
	size_t *lengths; /* nrows * ncols */
	int64_t affected;
};

struct dd_result *
drv_result_new(int ncols)
{
	struct dd_result *r = xcalloc(1, sizeof(*r));

	r->ncols = ncols < 0 ? 0 : ncols;
	r->colnames = xcalloc((size_t)r->ncols + 1, sizeof(char *));
	return r;
}

void
drv_result_set_colname(struct dd_result *r, int col, const char *name)
{
	if (col < 0 || col >= r->ncols)
		return;
	free(r->colnames[col]);
	r->colnames[col] = xstrdup(name ? name : "");
}

static void
result_grow(struct dd_result *r)
{
	size_t cells;

	r->cap_rows = r->cap_rows ? r->cap_rows * 2 : 16;
	cells = (size_t)r->cap_rows * (size_t)r->ncols;
	r->values = xrealloc(r->values, cells * sizeof(char *));
	r->lengths = xrealloc(r->lengths, cells * sizeof(size_t));
}

void
drv_result_add_row(struct dd_result *r, const char *const *values, const size_t *lengths)
{
	size_t base, len;
	char *v;

	if (r->nrows == r->cap_rows)
		result_grow(r);
	base = (size_t)r->nrows * (size_t)r->ncols;
	for (int i = 0; i < r->ncols; i++) {
		if (!values[i]) {
			r->values[base + i] = NULL;
			r->lengths[base + i] = 0;
			continue;
		}
		len = lengths ? lengths[i] : strlen(values[i]);
		v = xmalloc(len + 1);
		memcpy(v, values[i], len);
		v[len] = '\0';
		r->values[base + i] = v;
		r->lengths[base + i] = len;
	}
	r->nrows++;
}

void
drv_result_set_affected(struct dd_result *r, int64_t affected)
{
	r->affected = affected;
}

int
dd_result_nrows(const struct dd_result *r)
{
	return r->nrows;
}

int
dd_result_ncols(const struct dd_result *r)
{
	return r->ncols;
}

const char *
dd_result_colname(const struct dd_result *r, int col)
{
	if (col < 0 || col >= r->ncols)
		return NULL;
	return r->colnames[col];
}

int
dd_result_colindex(const struct dd_result *r, const char *name)
{
	for (int i = 0; i < r->ncols; i++)
		if (r->colnames[i] && strcmp(r->colnames[i], name) == 0)
			return i;
	return -1;
}

static bool
in_range(const struct dd_result *r, int row, int col)
{
	return row >= 0 && row < r->nrows && col >= 0 && col < r->ncols;
}

const char *
dd_result_value(const struct dd_result *r, int row, int col)
{
	if (!in_range(r, row, col))
		return NULL;
	return r->values[(size_t)row * (size_t)r->ncols + (size_t)col];
}

bool
dd_result_is_null(const struct dd_result *r, int row, int col)
{
	return dd_result_value(r, row, col) == NULL;
}

size_t
dd_result_length(const struct dd_result *r, int row, int col)
{
	if (!in_range(r, row, col))
		return 0;
	return r->lengths[(size_t)row * (size_t)r->ncols + (size_t)col];
}

int64_t
dd_result_affected(const struct dd_result *r)
{
	return r->affected;
}

void
dd_result_free(struct dd_result *r)
{
	size_t cells;

	if (!r)
		return;
	cells = (size_t)r->nrows * (size_t)r->ncols;
	for (size_t i = 0; i < cells; i++)
		free(r->values[i]);
	for (int i = 0; i < r->ncols; i++)
		free(r->colnames[i]);
	free(r->values);
	free(r->lengths);
	free(r->colnames);
	free(r);
}
