<?php
// For `phpmemtrace top`'s GC column: prints its PID, waits for the file given
// as argv[1], then makes cycles and runs the collector exactly RUNS times
// (argv[2]), prints what gc_status() says, and idles.
echo "PID=" . getmypid() . "\n";
while (!file_exists($argv[1])) {
    usleep(20000);
}
$before = gc_status()['runs'];
for ($run = 0; $run < (int)$argv[2]; $run++) {
    for ($i = 0; $i < 100; $i++) {
        $a = new stdClass();
        $b = new stdClass();
        $a->peer = $b;
        $b->peer = $a;
    }
    unset($a, $b);
    gc_collect_cycles();
}
echo "GC_RUNS=" . (gc_status()['runs'] - $before) . "\n";
while (true) {
    usleep(50000);
}
