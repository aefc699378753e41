<?php
// 100,000 self-referencing objects: each becomes garbage only the cycle collector
// can free, so the root buffer fills and the GC runs on its own several times.
// Prints PHP's own gc_status() before the final checkpoint.
class Node {
    public $self;
    public $payload;
}

function make_cycles(int $n): void {
    for ($i = 0; $i < $n; $i++) {
        $o = new Node();
        $o->self = $o;            // the cycle
        $o->payload = str_repeat('p', 64);
    }
}

make_cycles(100000);
$status = gc_status();
echo "GC_RUNS=", $status['runs'], "\n";
echo "GC_COLLECTED=", $status['collected'], "\n";
memory_get_usage();               // checkpoint: the tracer's figures are compared up to here
