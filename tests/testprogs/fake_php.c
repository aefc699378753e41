// A program that looks like a PHP binary to phpmemtrace (it exports _emalloc and
// executor_globals and carries a PHP version string) but claims PHP 5.6, which is
// not supported: the tracer must refuse it with a clear error.
#include <stdlib.h>
#include <unistd.h>

__attribute__((used)) const char powered_by[] = "X-Powered-By: PHP/5.6.40";
__attribute__((visibility("default"))) void* executor_globals[128];
__attribute__((visibility("default"), noinline)) void* _emalloc(size_t size) { return malloc(size); }

int main(void) {
    free(_emalloc(16));
    sleep(1);
    return 0;
}
