<?php
// Agent test page: CPU work with almost no allocation (its only slow paths are the
// few small-bin refills of a request's start), so the traps cost a tiny share of
// its CPU time: under the default --max-overhead nothing is taken off.
function spin(int $n): int {
    $x = 0;
    for ($i = 0; $i < $n; $i++) {
        $x = ($x * 31 + $i) % 1000003;
    }
    return $x;
}
echo "X=", spin(1000000), "\n";
echo "PID=", getmypid(), "\n";
echo "PEAK=", memory_get_peak_usage(), "\n";
