<?php
// Closures created and destroyed in turn: PHP reuses the memory of one closure
// object (and the zend_function inside it) for the next. Alpha's closures allocate
// 1000-character strings, Beta's 2000-character ones; a tracer that named a reused
// zend_function by its old owner would put some of one under the other.
final class Alpha
{
    public static function make(): Closure { return function (): string { return str_repeat('a', 1000); }; }
}

final class Beta
{
    public static function make(): Closure { return function (): string { return str_repeat('b', 2000); }; }
}

$keep = [];
for ($i = 0; $i < 60; $i++) {
    $f = $i % 2 ? Alpha::make() : Beta::make();
    $keep[] = $f();
    unset($f);
}
echo "EACH=30\n";
