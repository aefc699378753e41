// SPDX-License-Identifier: MIT
/*
 * Major page faults on purpose: writes a file, drops its pages from the page cache
 * (POSIX_FADV_DONTNEED on this file only, nothing else is evicted), maps it and reads
 * one byte per page. The first read of each readahead window waits for the disk: a
 * major fault. Prints {"region", "region_bytes", "pages"} as JSON.
 *
 *   file_faults --wait-fd FD PATH PAGES
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int arg = 1;
	if (argc > 2 && !strcmp(argv[1], "--wait-fd")) {
		char c;
		if (read(atoi(argv[2]), &c, 1) != 1)
			return 1;
		arg = 3;
	}
	if (argc - arg != 2) {
		fprintf(stderr, "usage: %s [--wait-fd FD] PATH PAGES\n", argv[0]);
		return 2;
	}
	const char *path = argv[arg];
	size_t pages = strtoul(argv[arg + 1], NULL, 10), size = pages * 4096;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size))
		return perror("file"), 1;
	char block[4096];
	memset(block, 0x5a, sizeof(block));
	for (size_t i = 0; i < pages; i++)
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
			return perror("write"), 1;
	/* Written back first, or DONTNEED cannot drop dirty pages. */
	if (fsync(fd) || posix_fadvise(fd, 0, (off_t)size, POSIX_FADV_DONTNEED))
		return perror("fsync/fadvise"), 1;
	unsigned char *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return perror("mmap"), 1;
	unsigned sum = 0;
	for (size_t i = 0; i < pages; i++)
		sum += ((volatile unsigned char *)p)[i * 4096];
	printf("{\"region\": %llu, \"region_bytes\": %zu, \"pages\": %zu, \"sum\": %u}\n",
	       (unsigned long long)(uintptr_t)p, size, pages, sum);
	unlink(path);
	return 0;
}
