<?php
// Agent test page: holds four large blocks (200000-byte strings: 49 pages each,
// 200704 bytes) made by hold_blocks(), for ?ms milliseconds, so that an interval
// ends while they are held.
function hold_blocks(int $n): array {
    $held = [];
    for ($i = 0; $i < $n; $i++) {
        $held[] = str_repeat('h', 200000);
    }
    return $held;
}
$held = hold_blocks(4);
usleep(1000 * (int)($_GET['ms'] ?? 3000));
echo "PID=", getmypid(), "\n";
echo "PEAK=", memory_get_peak_usage(), "\n";
