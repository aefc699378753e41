<?php
// A long-running PHP process whose memory grows in one known function,
// grow_cache(), for `phpmemtrace top`'s runtime tests. It prints its PID, waits
// for the file given as argv[1] (the test creates it once top is attached), then
// adds BLOCKS 4000-byte strings per step until it holds TOTAL of them, says so
// with memory_get_usage() (the independent figure), and idles, churning a little.
function grow_cache(array &$cache, int $n): void
{
    for ($i = 0; $i < $n; $i++) {
        $cache[] = str_repeat('x', 4000);
    }
}

function churn(): int
{
    $t = [];
    for ($i = 0; $i < 50; $i++) {
        $t[] = str_repeat('y', 100);
    }
    return count($t);
}

$go = $argv[1];
$step = (int)($argv[2] ?? 40);
$total = (int)($argv[3] ?? 4000);
echo "PID=" . getmypid() . "\n";
while (!file_exists($go)) {
    usleep(20000);
}
$cache = [];
$said = false;
while (true) {
    if (count($cache) < $total) {
        grow_cache($cache, min($step, $total - count($cache)));
    } elseif (!$said) {
        echo "HELD=" . count($cache) . " USAGE=" . memory_get_usage() . "\n";
        $said = true;
    }
    churn();
    usleep(50000);
}
