<?php
// Dies of "Allowed memory size of N bytes exhausted" (run with -d memory_limit=8M):
// the tracer must keep the stacks holding memory at that moment.
function hoard(array &$keep, int $rounds): void {
    for ($i = 0; $i < $rounds; $i++) {
        $keep[] = str_repeat('h', 100000) . $i;  // ~100 KB each, held
    }
}

echo "LIMIT=", ini_get('memory_limit'), "\n";
$keep = [];
hoard($keep, 1000);                               // 100 MB: far past 8M
echo "NOT_REACHED\n";
