<?php
// Agent test page: ten large blocks, each a 100000-byte string (24 + 100000 + 1
// bytes rounded to 8, then to 25 pages of 4 KiB = 102400 bytes in the heap), made
// by big_string() and nothing else.
function big_string(): string { return str_repeat('b', 100000); }
$blocks = [];
for ($i = 0; $i < 10; $i++) {
    $blocks[] = big_string();
}
echo "PID=", getmypid(), "\n";
echo "PEAK=", memory_get_peak_usage(), "\n";
