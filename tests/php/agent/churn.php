<?php
// Agent test page: churns short strings (small blocks only, freed at once).
function churn(int $n): int {
    $total = 0;
    for ($i = 0; $i < $n; $i++) {
        $s = str_repeat('c', 100 + $i % 50) . $i;
        $total += strlen($s);
    }
    return $total;
}
echo "PID=", getmypid(), "\n";
echo "TOTAL=", churn(20000), "\n";
echo "PEAK=", memory_get_peak_usage(), "\n";
