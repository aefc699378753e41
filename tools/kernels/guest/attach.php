<?php
// Attach-mode workload: allocates and checkpoints until /tmp/stop appears
// (the smoke test creates it once the session is over), 120 s at most.
touch('/tmp/attach-started');
$held = [];
for ($n = 0; $n < 2400 && !file_exists('/tmp/stop'); $n++) {
    $held[] = str_repeat('a', 200 + $n % 500);
    if (count($held) > 50) {
        array_splice($held, 0, 25);
    }
    memory_get_usage();
    usleep(50000);
}
