<?php
// Allocation-heavy loop: short-lived strings and small arrays, a few frames deep,
// the shape of a request handler building and dropping values.
// Usage: php alloc_loop.php [ITERATIONS]
$iterations = (int)($argv[1] ?? 20000);

function make_row(int $i): array
{
    return ['id' => $i, 'name' => "user-$i", 'tags' => [$i % 7, $i % 11]];
}

function process_batch(int $from, int $count): int
{
    $total = 0;
    for ($i = $from; $i < $from + $count; $i++) {
        $row = make_row($i);
        $total += strlen($row['name']) + count($row['tags']);
    }
    return $total;
}

$sum = 0;
for ($done = 0; $done < $iterations; $done += 100) {
    $sum += process_batch($done, 100);
}
echo $sum, "\n";
