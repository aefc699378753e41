<?php
// FPM test page: holds about 6000000 bytes in small blocks, then answers with PHP's
// own figures for this request.
$keep = [];
for ($i = 0; $i < intdiv(6000000, 1000); $i++) {
    $keep[] = str_repeat('r', 990) . $i;
}
echo "URI=", $_SERVER['REQUEST_URI'], "\n";
echo "PEAK=", memory_get_peak_usage(), "\n";
echo "USAGE=", memory_get_usage(), "\n";  // a checkpoint for the tracer
echo "COUNT=", count($keep), "\n";
