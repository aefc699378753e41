<?php
// mod_php test page: build_list() keeps 2000 strings of 100-149 bytes (each a
// str_repeat() result), then the page answers with PHP's own figures.
function build_list(int $n): array
{
    $list = [];
    for ($i = 0; $i < $n; $i++) {
        $list[] = str_repeat('m', 100 + $i % 50);
    }
    return $list;
}

$list = build_list(2000);
echo "URI=", $_SERVER['REQUEST_URI'], "\n";
echo "PEAK=", memory_get_peak_usage(), "\n";
echo "USAGE=", memory_get_usage(), "\n";  // a checkpoint for the tracer
echo "COUNT=", count($list), "\n";
