<?php
// Exercises every allocator path between memory_get_usage() calls: small, large
// and huge blocks, reallocs that grow in place and that move, frees, objects,
// arrays that grow. The tracer's live bytes must equal PHP's figure at each call.
$seen = [memory_get_usage()];
$small = [];
for ($i = 0; $i < 500; $i++) { $small[] = "s$i" . str_repeat('x', $i % 300); }
$seen[] = memory_get_usage();
$large = [];
for ($i = 0; $i < 40; $i++) { $large[] = str_repeat('L', 4000 + $i * 1000); }
$seen[] = memory_get_usage();
$huge = str_repeat('H', 3 * 1024 * 1024);
$seen[] = memory_get_usage();
$grow = '';
for ($i = 0; $i < 2000; $i++) { $grow .= str_repeat('g', 37); }  // realloc, in place and moving
$seen[] = memory_get_usage();
unset($huge, $large);
$seen[] = memory_get_usage();
$objects = [];
for ($i = 0; $i < 300; $i++) { $o = new stdClass(); $o->v = [$i, "v$i"]; $objects[] = $o; }
$seen[] = memory_get_usage();
$objects = array_slice($objects, 100);
$seen[] = memory_get_usage(true);
$seen[] = memory_get_usage();
echo 'CHECKPOINTS=', count($seen), "\n";
