<?php
// N functions (default 2000), each allocating once: a report of a few MiB that
// takes well under a second to trace, for tests that need outputs larger than
// one write (atomic replacement, a full disk).
$n = (int)($argv[1] ?? 2000);
$keep = [];
for ($i = 0; $i < $n; $i++) {
    eval("function allocate_$i(): string { return str_repeat('x', 100 + $i); }");
    $keep[] = ("allocate_$i")();
}
echo "FUNCTIONS=$n\n";
