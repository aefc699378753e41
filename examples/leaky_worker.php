<?php
// A small job-queue worker with the memory problems phpmemtrace is for:
// a cache that only grows, a report built by string concatenation, objects that
// reference each other (freed only by the cycle collector), and a closure that
// captures a large array.

final class ResultCache
{
    private array $entries = [];

    public function remember(string $key, callable $compute): string
    {
        // Never evicts: this is the leak.
        return $this->entries[$key] ??= $compute();
    }
}

final class Node
{
    public ?Node $peer = null;
    public string $payload;

    public function __construct(int $size) { $this->payload = str_repeat('n', $size); }
}

function render_report(array $rows): string
{
    $out = '';
    foreach ($rows as $i => $row) {
        $out .= sprintf("%05d %s\n", $i, $row);
    }
    return $out;
}

function make_cycles(int $count): void
{
    for ($i = 0; $i < $count; $i++) {
        $a = new Node(200);
        $b = new Node(200);
        $a->peer = $b;
        $b->peer = $a;  // a cycle: only gc_collect_cycles() frees it
    }
}

function handle_job(ResultCache $cache, int $job): int
{
    $rows = array_map(fn ($i) => md5("$job-$i"), range(1, 200));
    $report = render_report($rows);
    $cache->remember("job-$job", fn () => $report);
    make_cycles(50);
    return strlen($report);
}

$cache = new ResultCache();
$total = 0;
for ($job = 0; $job < 200; $job++) {
    $total += handle_job($cache, $job);
}
gc_collect_cycles();
printf("processed 200 jobs, %d bytes of reports, memory_get_usage()=%d\n", $total, memory_get_usage());
