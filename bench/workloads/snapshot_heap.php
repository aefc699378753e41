<?php
// A heap of about MIB MiB for the snapshot benchmark (bench/run_bench.py --only snapshot):
// 1000-byte strings (bin 1024) plus a few huge ones. Prints "ready" and waits on STDIN.
$mib = (int)($argv[1] ?? 1024);
$strings = [];
for ($i = 0, $n = intdiv($mib * 1024 * 1024 * 7, 8 * 1024); $i < $n; $i++) {
    $strings[] = str_repeat('s', 990) . $i;
}
$huge = [];
for ($i = 0, $n = intdiv($mib, 64); $i < $n; $i++) {
    $huge[] = str_repeat('h', 8 * 1024 * 1024);
}
echo "ready ", memory_get_usage(), "\n";
fgets(STDIN);
