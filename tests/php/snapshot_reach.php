<?php
// What holds the memory, for `phpmemtrace snapshot` (tests/runtime/test_snapshot_reach.cpp):
// N strings under $GLOBALS['cache'], a static property holding an array, an
// object's declared and dynamic properties, a reference, a function's local, and
// a function's static variable, 1,000 self-referencing objects made unreachable with the collector disabled.
// It prints its own figures, then blocks reading STDIN inside wait_here() (the
// first snapshot); then it runs gc_collect_cycles() and blocks again (the second).
class Registry { public static $items = []; public static $unused = null; }
class Node { public $self; }
class Holder { public $name = 'h'; public $items = []; }

function remember() {
    static $seen = [];
    $seen[] = str_repeat('s', 50);
    return count($seen);
}

function wait_here($tag) {
    $buf = str_repeat('b', 5000);
    $usage = memory_get_usage();
    echo "usage", $tag, "=", $usage, "\n";
    fgets(STDIN);
    return strlen($buf);
}

$n = (int)($argv[1] ?? 1000);
// The first read gives STDIN its read buffer, so the reads it blocks in later
// allocate nothing.
fgets(STDIN);
$cache = [];
for ($i = 0; $i < $n; $i++) {
    $cache[] = str_repeat('c', 100) . sprintf('%08d', $i);
}
Registry::$items = range(1, 500);
$holder = new Holder();
$holder->items = ['a' => str_repeat('x', 300)];
$std = new stdClass();
$std->dyn = str_repeat('d', 400);
$r1 = str_repeat('r', 600);
$r2 = &$r1;
for ($i = 0; $i < 3; $i++) {
    remember();
}
gc_disable();
for ($i = 0; $i < 1000; $i++) {
    $o = new Node();
    $o->self = $o;
}
unset($o);
echo "cache_strlen=", strlen($cache[0]), "\n";
echo "version=", PHP_VERSION, "\n";
wait_here(1);
echo "collected=", gc_collect_cycles(), "\n";
wait_here(2);
echo "done=", count($cache) + strlen($r2), "\n";
