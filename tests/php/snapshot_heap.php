<?php
// A heap with known contents for `phpmemtrace snapshot` (tests/runtime/test_snapshot.cpp):
// N strings of one bin under $GLOBALS['cache'], large arrays, a huge string, and
// blocks freed again (free slots in several bins). It prints its own figures and
// then blocks reading STDIN until the test lets it go.
$n = (int)($argv[1] ?? 1000);
// The first read gives STDIN its read buffer, so the read it blocks in later
// allocates nothing: memory_get_usage() printed below is the heap while it waits.
fgets(STDIN);
$cache = [];
for ($i = 0; $i < $n; $i++) {
    $cache[] = str_repeat('c', 100) . sprintf('%08d', $i);
}
$large = [];
for ($k = 0; $k < 4; $k++) {
    $large[] = range(1, 2000);
}
$huge = str_repeat('h', 3 * 1024 * 1024);
$freed = [];
for ($i = 0; $i < 500; $i++) {
    $freed[] = str_repeat('f', 40 + $i % 200);
}
unset($freed);
// Printed before the heap is measured: the first output of a CLI script
// allocates (the output layer's start-up), later ones free what they take.
echo "cache_strlen=", strlen($cache[0]), "\n";
echo "huge_strlen=", strlen($huge), "\n";
echo "version=", PHP_VERSION, "\n";
$real = memory_get_usage(true);
$usage = memory_get_usage();
echo "real=", $real, "\n";
echo "usage=", $usage, "\n";
$line = fgets(STDIN);
echo "done=", strlen($cache[$n - 1]) + strlen($huge), "\n";
