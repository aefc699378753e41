<?php
// Agent test page: a peak far above what the request holds at its end (a 2 MiB+
// array built and dropped inside a function), so a request's peak cannot be
// mistaken for its heap use at the end.
function spike(): int { $a = range(1, 100000); return count($a); }
echo "PID=", getmypid(), "\n";
echo "COUNT=", spike(), "\n";
echo "USAGE=", memory_get_usage(), "\n";
echo "PEAK=", memory_get_peak_usage(), "\n";
