<?php
// A hot function: after a few hundred calls the tracing JIT compiles it, and its
// allocations come from machine code, not from the VM's handlers.
final class Hot
{
    public static function make(int $i): string
    {
        return str_repeat('j', 100 + ($i % 7)); // SITE hot
    }
}
function run_hot(int $n): array
{
    $out = [];
    for ($i = 0; $i < $n; $i++) {
        $out[] = Hot::make($i);
    }
    return $out;
}
$kept = run_hot(5000);
// How much machine code the JIT wrote: the test requires some when JIT is on.
$jit = function_exists('opcache_get_status') ? (opcache_get_status(false)['jit'] ?? []) : [];
echo 'JIT_CODE_BYTES=', empty($jit['on']) ? 0 : $jit['buffer_size'] - $jit['buffer_free'], "\n";
foreach (file(__FILE__) as $index => $line) {
    if (preg_match('#// SITE (\w+)$#', rtrim($line), $m)) {
        echo 'LINE_', $m[1], '=', $index + 1, "\n";
    }
}
