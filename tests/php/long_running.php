<?php
// A worker that runs for a bounded time: builds a baseline before it says READY,
// then keeps allocating new strings and freeing old ones (including ones that were
// live before a tracer attached), calling memory_get_usage() every round.
$seconds = (float)($argv[1] ?? 8);
$keep = [];
for ($i = 0; $i < 5000; $i++) {
    $keep[] = str_repeat('b', 200);
}
echo "READY pid=", getmypid(), " usage=", memory_get_usage(), "\n";
$deadline = microtime(true) + $seconds;
$round = 0;
while (microtime(true) < $deadline) {
    $keep[] = str_repeat('a', 300);
    unset($keep[$round]);  // frees a string from before the tracer attached
    $round++;
    memory_get_usage();
    usleep(5000);
}
echo "DONE rounds=$round\n";
