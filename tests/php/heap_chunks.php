<?php
// Grows the heap past several 2 MiB chunks, then allocates a few huge strings
// (each its own mapping), frees some, and checks memory_get_usage(true) along
// the way: every call is a checkpoint the tracer compares with its own
// chunks + huge bytes.
function grow(int $n): array {
    $rows = [];
    for ($i = 0; $i < $n; $i++) {
        $rows[] = str_repeat('x', 1000) . $i;   // ~1 KiB small blocks: fill chunks
    }
    return $rows;
}

function huge_strings(): array {
    return [
        str_repeat('a', 3 * 1024 * 1024),       // 3 MiB huge block
        str_repeat('b', 5 * 1024 * 1024 + 123), // 5 MiB + change (page rounded)
        str_repeat('c', 8 * 1024 * 1024),
    ];
}

echo "START_REAL=", memory_get_usage(true), "\n";
$rows = grow(12000);                              // ~12 MB: 6+ chunks
echo "AFTER_GROW_REAL=", memory_get_usage(true), "\n";
$huge = huge_strings();
echo "AFTER_HUGE_REAL=", memory_get_usage(true), "\n";
unset($huge[1]);
echo "AFTER_FREE_ONE_REAL=", memory_get_usage(true), "\n";
$s = str_repeat('d', 3 * 1024 * 1024);
$s .= str_repeat('e', 2 * 1024 * 1024);           // huge realloc (in place or moved)
echo "AFTER_REALLOC_REAL=", memory_get_usage(true), "\n";
$rows = null;
$huge = null;
$s = null;
echo "AFTER_RELEASE_REAL=", memory_get_usage(true), "\n";

// A huge block resized in place: fread() of a 9 MiB buffer from a 5 MiB file keeps
// the 9 MiB block, and appending 1 MiB reallocates it to 6 MiB in place (the heap
// unmaps its tail: real size changes without a new mapping).
$f = tempnam(sys_get_temp_dir(), 'pmt');
file_put_contents($f, str_repeat('z', 5 * 1024 * 1024 + 7));
$fp = fopen($f, 'rb');
$data = fread($fp, 9 * 1024 * 1024);
fclose($fp);
unlink($f);
echo "AFTER_FREAD_REAL=", memory_get_usage(true), "\n";
$data .= str_repeat('q', 1024 * 1024);
echo "AFTER_APPEND_REAL=", memory_get_usage(true), "\n";
$data = null;
echo "PEAK_REAL=", memory_get_peak_usage(true), "\n";
