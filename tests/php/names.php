<?php
// Allocations from every kind of PHP frame. Each site prints its line, so the
// test can check the names, files and lines the tracer reports.
$keep = [];

final class Worker
{
    public function build(int $n): array
    {
        $out = [];
        for ($i = 0; $i < $n; $i++) {
            $out[] = str_repeat('m', 1000); // SITE method
        }
        return $out;
    }

    public static function make(): string
    {
        return str_repeat('s', 1001); // SITE static
    }
}

function recurse(int $depth): string
{
    if ($depth === 0) {
        return str_repeat('r', 1002); // SITE recursion
    }
    return recurse($depth - 1);
}

function numbers(int $n): Generator
{
    for ($i = 0; $i < $n; $i++) {
        yield str_repeat('g', 1003); // SITE generator
    }
}

$closure = function (int $n): array {
    $out = [];
    for ($i = 0; $i < $n; $i++) {
        $out[] = str_repeat('c', 1004); // SITE closure
    }
    return $out;
};

$keep[] = (new Worker())->build(3);
$keep[] = Worker::make();
$keep[] = recurse(5);
foreach (numbers(3) as $value) {
    $keep[] = $value;
}
$keep[] = $closure(3);
require __DIR__ . '/names_included.php';
$keep[] = included_function();
eval('$keep[] = str_repeat("e", 1007); // SITE eval');

// Print where each SITE is, for the test.
foreach (file(__FILE__) as $index => $line) {
    if (preg_match('#// SITE (\w+)#', $line, $m) && !str_contains($line, 'preg_match')) {
        echo 'LINE_', $m[1], '=', $index + 1, "\n";
    }
}
echo 'FILE=', __FILE__, "\n";
