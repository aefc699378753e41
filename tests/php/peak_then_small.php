<?php
// For the peak view: build_big() builds a large array and drops it; then
// build_small() builds a smaller one that stays. At the traced heap's peak only
// build_big()'s array existed, so the peak view must blame build_big() even
// though at the end only build_small()'s memory is live.
function build_big(int $n): int
{
    $big = [];
    for ($i = 0; $i < $n; $i++) {
        $big[] = str_repeat('B', 200);
    }
    return count($big);
}

function build_small(int $n): array
{
    $small = [];
    for ($i = 0; $i < $n; $i++) {
        $small[] = str_repeat('s', 200);
    }
    return $small;
}

$count = build_big(30000);
$kept = build_small(5000);
echo "BIG=$count SMALL=", count($kept), "\n";
