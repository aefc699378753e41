<?php
// Defines N functions with eval() and calls each once, keeping what it returns:
// N distinct functions, N distinct stacks.
$n = (int)($argv[1] ?? 10000);
for ($i = 0; $i < $n; $i++) {
    eval("function evald_$i() { return str_repeat('x', 100); }");
}
$keep = [];
for ($i = 0; $i < $n; $i++) {
    $f = "evald_$i";
    $keep[] = $f();
}
echo "USAGE=", memory_get_usage(), "\n";
