<?php
// Blocks made before the tracer attaches, then reallocated and freed after it
// did (record -p): their sizes come from the chunk's page map, so the baseline
// shrinks by them and every checkpoint stays exact. argv[1]: the go-file.
$list = [];
for ($i = 0; $i < 1000; $i++) {
    $list[] = str_repeat('s', 40);           // the array's data: a large block (5 pages)
}
$large = [];
for ($i = 0; $i < 5; $i++) {
    $large[] = str_repeat('L', 5000 + $i);   // large blocks (2 pages each)
}
$huge = str_repeat('H', 3 * 1024 * 1024);    // a huge block
echo "READY usage=", memory_get_usage(), "\n";
while (!file_exists($argv[1])) {
    usleep(20000);
}
echo "AFTER_GO usage=", memory_get_usage(), "\n";
for ($i = 0; $i < 100; $i++) {
    $list[] = str_repeat('t', 40);           // the array grows: a realloc of its block
}
echo "GREW usage=", memory_get_usage(), "\n";
$large = [];                                  // the five large strings freed
echo "FREED usage=", memory_get_usage(), "\n";
unset($huge);
echo "DONE usage=", memory_get_usage(), "\n";
