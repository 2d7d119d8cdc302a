/*
 * standalone_main.c: replays a fuzz corpus without libFuzzer. Each argument is
 * a file or a directory of files; each file is fed once to
 * LLVMFuzzerTestOneInput. A crash or sanitizer report fails the test; every
 * input that returns is reported as a TAP line.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count;

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("not ok %d - cannot open %s\n", ++count, path);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
	size_t got = fread(buf, 1, (size_t)(len > 0 ? len : 0), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	printf("ok %d - %s\n", ++count, path);
	fflush(stdout);
	return 0;
}

static int
run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		printf("not ok %d - missing %s\n", ++count, path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort), rc = 0;
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			char full[4096];
			snprintf(full, sizeof(full), "%s/%s", path, names[i]->d_name);
			rc |= run_file(full);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	int rc = 0;
	for (int i = 1; i < argc; i++)
		rc |= run_path(argv[i]);
	if (count == 0)
		printf("not ok 1 - empty corpus\n"), count = 1, rc = 1;
	printf("1..%d\n", count);
	return rc;
}
