<?php
// Agent test page: one big array (100000 integers: a packed table of 131072
// slots, over 2 MiB, so a huge block) built by build_array().
function build_array(): array { return range(1, 100000); }
$a = build_array();
echo "PID=", getmypid(), "\n";
echo "COUNT=", count($a), "\n";
echo "PEAK=", memory_get_peak_usage(), "\n";
