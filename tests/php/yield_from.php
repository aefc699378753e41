<?php
// `yield from`: an allocation in a generator that others delegate to must show the
// delegating generators too, as PHP's own backtrace does. The script prints that
// backtrace (root first) for the test to compare with the tracer's stack.
function leaf_gen()
{
    for ($i = 0; $i < 3; $i++) {
        if ($i === 0) {
            $names = array_map(fn ($f) => $f['function'], debug_backtrace());
            echo 'PHP_STACK={main},', implode(',', array_reverse($names)), ",str_repeat\n";
        }
        yield str_repeat('y', 7000);
    }
}
function middle_gen() { yield from leaf_gen(); }
function outer_gen() { yield from middle_gen(); }
function consume(): array
{
    $keep = [];
    foreach (outer_gen() as $value) {
        $keep[] = $value;
    }
    return $keep;
}
$keep = consume();
// Each delegating generator is one line long: its `yield from` is on its first line.
echo 'LINE_middle_gen=', (new ReflectionFunction('middle_gen'))->getStartLine(), "\n";
echo 'LINE_outer_gen=', (new ReflectionFunction('outer_gen'))->getStartLine(), "\n";
