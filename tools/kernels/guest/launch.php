<?php
// Launch-mode workload: small, large and huge blocks and reallocs, each phase
// closed by a memory_get_usage() checkpoint. Short: the guest is emulated.
$keep = [];
for ($i = 0; $i < 300; $i++) {
    $keep[] = str_repeat('s', 50 + $i);
}
memory_get_usage();
$large = str_repeat('l', 100000);
memory_get_usage();
$huge = str_repeat('h', 3 << 20);
memory_get_usage();
$grown = '';
for ($i = 0; $i < 200; $i++) {
    $grown .= str_repeat('r', 1000);
}
memory_get_usage();
unset($huge, $keep);
memory_get_usage();
echo "launch workload done\n";
