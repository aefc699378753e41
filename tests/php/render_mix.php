<?php
// A small mix for the output-format runtime tests: methods of a class, plain
// functions, internal functions, memory kept and memory freed. Sizes scale with
// argv[1] so two runs can be diffed.
$scale = (int)($argv[1] ?? 1);

final class Catalog
{
    private array $items = [];

    public function load(int $n): void
    {
        for ($i = 0; $i < $n; $i++) {
            $this->items["sku-$i"] = str_repeat('c', 300);
        }
    }
}

function build_index(int $n): array
{
    $index = [];
    for ($i = 0; $i < $n; $i++) {
        $index[] = str_repeat('i', 120) . $i;
    }
    return $index;
}

function scratch_work(int $n): int
{
    $total = 0;
    for ($i = 0; $i < $n; $i++) {
        $tmp = str_repeat('t', 500);
        $total += strlen($tmp);
    }
    return $total;
}

$catalog = new Catalog();
$catalog->load(2000 * $scale);
$index = build_index(3000);
$work = scratch_work(4000);
echo "DONE=", count($index), "\n";
