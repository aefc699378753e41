<?php
// keep_strings() keeps N strings of LEN bytes; churn() allocates as many and
// frees them all. The test checks the tracer's live bytes for each against the
// Zend bin size of one string, and every memory_get_usage() checkpoint.
[$_, $n, $len] = $argv + [null, 1000, 100];
$n = (int)$n;
$len = (int)$len;

function keep_strings(int $n, int $len): array
{
    $kept = [];
    for ($i = 0; $i < $n; $i++) {
        $kept[] = str_repeat(chr(65 + $i % 26), $len);
    }
    return $kept;
}

function churn(int $n, int $len): int
{
    $total = 0;
    for ($i = 0; $i < $n; $i++) {
        $s = str_repeat('z', $len);
        $total += strlen($s);
        unset($s);
    }
    return $total;
}

// PHP's own measure of one string's block (str_repeat allocates len + 32 bytes,
// rounded to a Zend bin or to pages).
$m0 = memory_get_usage();
$probe = str_repeat('q', $len);
$block = memory_get_usage() - $m0;
unset($probe);

$before = memory_get_usage();
$GLOBALS['kept'] = keep_strings($n, $len);
$after_keep = memory_get_usage();
churn($n, $len);
$after_churn = memory_get_usage();
echo "N=$n\nLEN=$len\nBLOCK=$block\nKEEP_DELTA=", $after_keep - $before, "\nCHURN_DELTA=", $after_churn - $after_keep, "\n";
