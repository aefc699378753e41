<?php
// check_report.php launch|attach|faults REPORT.json: the smoke test's assertions
// on a report (docs/report-json.md). Exits non-zero with the reason.
[$self, $mode, $path] = $argv;
$r = json_decode(file_get_contents($path), true, 512, JSON_THROW_ON_ERROR);
function fail(string $why): never { echo "PMT-FAIL: $why\n"; exit(1); }

$checkpoints = $r['checkpoints'] ?? [];
$min = ['launch' => 5, 'attach' => 3, 'faults' => 5][$mode] ?? fail("unknown mode $mode");
if (count($checkpoints) < $min) fail("$mode: " . count($checkpoints) . " checkpoints, expected at least $min");
foreach ($checkpoints as $i => $c) {
    if ($c['php_memory_usage'] !== $c['traced_live_bytes'])
        fail("$mode: checkpoint $i: PHP says {$c['php_memory_usage']}, the tracer {$c['traced_live_bytes']}");
}
$counters = $r['counters'];
if ($counters['allocs'] <= 0) fail("$mode: no allocation traced");
foreach (['lost_events', 'unknown_frees'] as $k)
    if (($counters[$k] ?? 0) !== 0) fail("$mode: counters.$k = {$counters[$k]}");
$extra = '';
if ($mode === 'faults') {
    $count = $r['faults']['count'] ?? 0;
    if ($count <= 0) fail("faults: no page fault traced");
    $extra = ", $count page faults";
}
printf("PMT-STEP: %s: %d checkpoints exact, %d allocations%s\n", $mode, count($checkpoints), $counters['allocs'], $extra);
