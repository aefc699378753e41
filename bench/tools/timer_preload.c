// LD_PRELOADed into each timed PHP process by bench/run_bench.py. Writes the
// process's own wall time (CLOCK_MONOTONIC from the first constructor to exit)
// and CPU time to $PMT_BENCH_TIMING, so that the untraced, floor and traced runs
// are timed over exactly the same interval, without the tracers' own start-up.
// Unsets both variables so that processes PHP itself starts are not timed.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static struct timespec g_start;
static char g_path[4096];
static pid_t g_pid;

__attribute__((constructor(101))) static void pmt_timer_start(void) {
    clock_gettime(CLOCK_MONOTONIC, &g_start);
    const char* path = getenv("PMT_BENCH_TIMING");
    if (!path || strlen(path) >= sizeof(g_path)) return;
    strcpy(g_path, path);
    g_pid = getpid();
    unsetenv("PMT_BENCH_TIMING");
    unsetenv("LD_PRELOAD");
}

__attribute__((destructor(101))) static void pmt_timer_stop(void) {
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    if (!g_path[0] || getpid() != g_pid) return;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long long start_ns = (long long)g_start.tv_sec * 1000000000LL + g_start.tv_nsec;
    long long end_ns = (long long)end.tv_sec * 1000000000LL + end.tv_nsec;
    char line[512];
    int n = snprintf(line, sizeof(line),
                     "{\"pid\": %d, \"start_ns\": %lld, \"wall_ns\": %lld, \"user_us\": %lld, \"sys_us\": %lld, "
                     "\"minflt\": %ld, \"majflt\": %ld, \"nvcsw\": %ld, \"nivcsw\": %ld}\n",
                     (int)g_pid, start_ns, end_ns - start_ns,
                     (long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
                     (long long)ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec, ru.ru_minflt, ru.ru_majflt,
                     ru.ru_nvcsw, ru.ru_nivcsw);
    int fd = open(g_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    if (write(fd, line, (size_t)n) != n) { /* the driver reports a missing timing */ }
    close(fd);
}
