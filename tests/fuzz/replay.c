/* Replays a fuzz target's corpus without libFuzzer: each file named, or
 * each file in each directory named, is fed to the target's entry point
 * once. `make check` runs it (tests/integration/fuzz_corpus.sh), so that
 * every input that once crashed stays fixed. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t size = 0, cap = 0, n;

	if (!f) {
		perror(path);
		return -1;
	}
	do {
		if (size == cap) {
			uint8_t *p = realloc(buf, cap = cap ? 2 * cap : 65536);

			if (!p) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = p;
		}
		n = fread(buf + size, 1, cap - size, f);
		size += n;
	} while (n > 0);
	fclose(f);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, size);
	/* a copy of exactly the input's size, as libFuzzer passes it, so
	 * that a read past its end shows under ASan */
	{
		uint8_t *exact = malloc(size ? size : 1);

		if (!exact) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, size);
		free(buf);
		LLVMFuzzerTestOneInput(exact, size);
		free(exact);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			struct dirent **names;
			int k = scandir(argv[i], &names, NULL,
				    alphasort);

			if (k < 0) {
				perror(argv[i]);
				return 1;
			}
			for (int j = 0; j < k; j++) {
				char path[4096];

				if (names[j]->d_name[0] != '.') {
					snprintf(path, sizeof(path), "%s/%s",
						 argv[i], names[j]->d_name);
					if (replay_file(path) < 0)
						return 1;
					n++;
				}
				free(names[j]);
			}
			free(names);
		} else {
			if (replay_file(argv[i]) < 0)
				return 1;
			n++;
		}
	}
	printf("replayed %d inputs\n", n);
	return 0;
}
