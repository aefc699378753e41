// SPDX-License-Identifier: MIT
/*
 * A heap-like 2 MiB region, snapshotted and restored the two ways a PHP heap
 * snapshot can be, so page-fault counts and costs can be checked against a known
 * number of pages.
 *
 *   snapshot_restore --strategy copy|cow|cow-read|fork --pages N [--rounds R]
 *
 * Every strategy first maps a 2 MiB-aligned anonymous region (THP off, so one fault
 * is one 4 KiB page), makes it look like a Zend main chunk (its first word points 64
 * bytes into itself) and touches all 512 pages: 512 first-touch faults. Then, R
 * times, it restores the snapshot and writes one byte to each of pages 0..N-1, as
 * the next request would:
 *   copy      memcpy the image back over the region (no faults: the pages stay
 *             mapped); cost = the copy. The N writes fault 0 times.
 *   cow       map the image MAP_PRIVATE|MAP_FIXED from a memfd; each written page is
 *             one not-present write fault that copies the page from the page cache.
 *   cow-read  like cow, but the request reads every page first (read faults map the
 *             page-cache pages read-only, with fault-around), so each write is a
 *             present-page (write-protect) copy-on-write fault.
 *   fork      fork(); the child writes the N pages: N present-page CoW faults of
 *             anonymous memory, as in an FPM worker or a pcntl_fork() child.
 * It prints one JSON object: the region, the pages it wrote, the kernel's count of its
 * faults (getrusage) at the start and end of the run with CLOCK_MONOTONIC times (the
 * clock of bpf_ktime_get_ns), and its own timings
 * (CLOCK_MONOTONIC, ns): totals per phase, and medians of each page write and each
 * restore timed alone (a median is not moved by preemption on a shared machine).
 *
 * With --wait-fd FD it reads one byte from FD before starting, so a tracer can
 * register the process first.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (2u << 20)
#define PAGE 4096u
#define PAGES (CHUNK / PAGE)

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* 2 MiB-aligned anonymous region, as zend_mm_chunk_alloc_int gets it. */
static unsigned char *map_chunk(void)
{
	unsigned char *p = mmap(NULL, 2 * CHUNK, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	uintptr_t base = ((uintptr_t)p + CHUNK - 1) & ~(uintptr_t)(CHUNK - 1);
	if (base > (uintptr_t)p)
		munmap(p, base - (uintptr_t)p);
	munmap((void *)(base + CHUNK), (uintptr_t)p + 2 * CHUNK - (base + CHUNK));
	/* One fault = one 4 KiB page: no transparent huge page behind the region. */
	if (madvise((void *)base, CHUNK, MADV_NOHUGEPAGE))
		die("madvise");
	return (unsigned char *)base;
}

/*
 * The same writes, each timed on its own: the median of per-page times does not
 * move when the process is preempted in the middle of a loop (the machine is shared).
 */
static void write_pages_timed(unsigned char *region, unsigned pages, unsigned char value,
			      uint64_t *out)
{
	for (unsigned i = 0; i < pages; i++) {
		uint64_t t = now_ns();
		((volatile unsigned char *)region)[i * PAGE + 8] = value;
		out[i] = now_ns() - t;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t sum_of(const uint64_t *v, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s;
}

/* Sorts v. */
static uint64_t median_of(uint64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

/*
 * The restore itself, in a function named like a PHP heap snapshot's restore
 * ("snapshot" + "restore"), so a tracer finds it by name and brackets each call.
 */
__attribute__((noinline)) void heap_snapshot_restore(unsigned char *region, const unsigned char *image,
						     int memfd)
{
	if (image)
		memcpy(region, image, CHUNK);
	else if (mmap(region, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, memfd, 0) ==
		 MAP_FAILED)
		die("mmap memfd");
	__asm__ volatile("" ::: "memory");
}

static unsigned read_pages(unsigned char *region)
{
	unsigned sum = 0;
	for (unsigned i = 0; i < PAGES; i++)
		sum += ((volatile unsigned char *)region)[i * PAGE + 8];
	return sum;
}

int main(int argc, char **argv)
{
	const char *strategy = "cow";
	unsigned pages = 64, rounds = 1;
	int wait_fd = -1;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--strategy"))
			strategy = argv[i + 1];
		else if (!strcmp(argv[i], "--pages"))
			pages = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--wait-fd"))
			wait_fd = atoi(argv[i + 1]);
		else {
			fprintf(stderr, "usage: %s --strategy copy|cow|cow-read|fork --pages N "
					"[--rounds R] [--wait-fd FD]\n", argv[0]);
			return 2;
		}
	}
	int copy = !strcmp(strategy, "copy"), cow = !strcmp(strategy, "cow"),
	    cow_read = !strcmp(strategy, "cow-read"), fork_mode = !strcmp(strategy, "fork");
	if (!(copy || cow || cow_read || fork_mode) || pages > PAGES || rounds == 0) {
		fprintf(stderr, "bad --strategy, --pages (<= %u) or --rounds\n", PAGES);
		return 2;
	}
	if (wait_fd >= 0) {
		char c;
		if (read(wait_fd, &c, 1) != 1)
			die("wait-fd");
		close(wait_fd);
	}

	/* The kernel's own fault count over the run, for a tracer to compare with. */
	struct rusage usage;
	now_ns(); /* maps the vDSO's data pages (2 faults) before the count starts */
	getrusage(RUSAGE_SELF, &usage);
	uint64_t faults_begin = (uint64_t)(usage.ru_minflt + usage.ru_majflt), t_begin = now_ns();

	unsigned char *region = map_chunk();
	/*
	 * Touch: 512 first-touch faults. The header (written first) makes the region
	 * pass as a Zend main chunk, so the tracer classifies pages 1..511 as zend_heap.
	 */
	*(uint64_t *)region = (uint64_t)(uintptr_t)region + 64; /* faults page 0 */
	uint64_t *touch = calloc(PAGES, sizeof(*touch));
	uint64_t *writes = calloc((size_t)pages * rounds + 1, sizeof(*writes));
	uint64_t *restores = calloc(rounds, sizeof(*restores));
	if (!touch || !writes || !restores)
		die("calloc");
	write_pages_timed(region + PAGE, PAGES - 1, 0x5a, touch); /* pages 1..511 */
	memset(region + 8, 0x5a, CHUNK - 8);                      /* no fault: all mapped now */
	uint64_t touch_ns = sum_of(touch, PAGES - 1);
	uint64_t t0;

	/* Snapshot. */
	unsigned char *image = NULL;
	int memfd = -1;
	t0 = now_ns();
	if (copy) {
		image = aligned_alloc(PAGE, CHUNK);
		if (!image)
			die("aligned_alloc");
		memcpy(image, region, CHUNK);
	} else if (!fork_mode) {
		memfd = memfd_create("pmt-snapshot", MFD_CLOEXEC);
		if (memfd < 0)
			die("memfd_create");
		if (write(memfd, region, CHUNK) != (ssize_t)CHUNK)
			die("write memfd");
	}
	uint64_t snapshot_ns = now_ns() - t0;

	uint64_t read_ns = 0;
	for (unsigned r = 0; r < rounds; r++) {
		if (fork_mode) {
			int pipefd[2];
			if (pipe(pipefd))
				die("pipe");
			pid_t child = fork();
			if (child < 0)
				die("fork");
			uint64_t *mine = writes + (size_t)r * pages;
			if (child == 0) {
				write_pages_timed(region, pages, (unsigned char)r, mine);
				ssize_t want = (ssize_t)(pages * sizeof(*mine));
				_exit(write(pipefd[1], mine, want) == want ? 0 : 1);
			}
			size_t got = 0;
			while (got < pages * sizeof(*mine)) {
				ssize_t n = read(pipefd[0], (char *)mine + got, pages * sizeof(*mine) - got);
				if (n <= 0)
					die("read child timings");
				got += (size_t)n;
			}
			waitpid(child, NULL, 0);
			close(pipefd[0]);
			close(pipefd[1]);
			continue;
		}
		t0 = now_ns();
		heap_snapshot_restore(region, copy ? image : NULL, memfd);
		restores[r] = now_ns() - t0;
		if (cow_read) {
			t0 = now_ns();
			if (read_pages(region) == 1) /* keep the reads */
				fputc(' ', stderr);
			read_ns += now_ns() - t0;
		}
		write_pages_timed(region, pages, (unsigned char)r, writes + (size_t)r * pages);
	}
	uint64_t restore_ns = sum_of(restores, rounds), write_ns = sum_of(writes, (size_t)pages * rounds);
	uint64_t restore_p50 = fork_mode ? 0 : median_of(restores, rounds);
	uint64_t write_p50 = median_of(writes, (size_t)pages * rounds);
	uint64_t touch_p50 = median_of(touch, PAGES - 1);
	uint64_t t_end = now_ns();
	getrusage(RUSAGE_SELF, &usage);
	uint64_t faults_end = (uint64_t)(usage.ru_minflt + usage.ru_majflt);

	printf("{\"strategy\": \"%s\", \"pid\": %d, \"region\": %llu, \"region_bytes\": %u, "
	       "\"pages_total\": %u, \"touch_pages\": %u, \"pages_written\": %u, \"rounds\": %u, "
	       "\"restore_bytes\": %u, \"touch_ns\": %llu, \"snapshot_ns\": %llu, "
	       "\"restore_ns\": %llu, \"read_ns\": %llu, \"write_ns\": %llu, "
	       "\"touch_p50_ns\": %llu, \"restore_p50_ns\": %llu, \"write_p50_ns\": %llu, "
	       "\"faults_begin\": %llu, \"faults_end\": %llu, \"t_begin_ns\": %llu, \"t_end_ns\": %llu}\n",
	       strategy, (int)getpid(), (unsigned long long)(uintptr_t)region, CHUNK, PAGES, PAGES - 1,
	       pages, rounds, copy ? CHUNK * rounds : 0, (unsigned long long)touch_ns,
	       (unsigned long long)snapshot_ns, (unsigned long long)restore_ns,
	       (unsigned long long)read_ns, (unsigned long long)write_ns,
	       (unsigned long long)touch_p50, (unsigned long long)restore_p50,
	       (unsigned long long)write_p50, (unsigned long long)faults_begin,
	       (unsigned long long)faults_end, (unsigned long long)t_begin, (unsigned long long)t_end);
	fflush(stdout);
	return 0;
}
