<?php
// Ring buffer load: WORKERS forked processes run the allocation loop at once, so
// the tracer receives events from every CPU. Needs pcntl (php8.2-cli has it).
// Usage: php parallel_alloc.php WORKERS ITERATIONS
$workers = (int)($argv[1] ?? 2);
$iterations = (int)($argv[2] ?? 20000);
$loop = __DIR__ . '/alloc_loop.php';
$children = [];
for ($w = 0; $w < $workers; $w++) {
    $pid = pcntl_fork();
    if ($pid === -1) {
        fwrite(STDERR, "fork failed\n");
        exit(1);
    }
    if ($pid === 0) {
        $argv = [$loop, (string)$iterations];
        ob_start();
        require $loop;
        ob_end_clean();
        exit(0);
    }
    $children[] = $pid;
}
$failed = 0;
foreach ($children as $pid) {
    pcntl_waitpid($pid, $status);
    if (!pcntl_wifexited($status) || pcntl_wexitstatus($status) !== 0) $failed++;
}
exit($failed ? 1 : 0);
