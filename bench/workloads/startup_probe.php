<?php
// Target of the start-up measurement: allocates and frees in a tight loop, timing
// each allocation with hrtime() (CLOCK_MONOTONIC, the clock the driver uses). When
// several allocations in a row suddenly cost more than THRESHOLD_NS, the uprobes
// are in place and the tracer records them: the first of those is the first
// traced allocation. Writes its timestamp to OUTFILE, keeps allocating for
// LINGER_S more seconds (the tracer may still be attaching other probes by the
// process's /proc path), and exits.
// Usage: php startup_probe.php OUTFILE [THRESHOLD_NS] [TIMEOUT_S] [LINGER_S]
$out = $argv[1];
$threshold = (int)($argv[2] ?? 4000);
$timeout = (float)($argv[3] ?? 60);
$linger = (float)($argv[4] ?? 1.5);
$deadline = hrtime(true) + (int)($timeout * 1e9);
file_put_contents("$out.ready", (string)getmypid());
$slow = 0;
$first = 0;
$i = 0;
while (true) {
    $t0 = hrtime(true);
    $s = str_repeat('a', 64 + ($i++ & 63));
    $t1 = hrtime(true);
    unset($s);
    if ($t1 - $t0 > $threshold) {
        if ($slow++ === 0) $first = $t0;
        if ($slow >= 5) {
            file_put_contents($out, (string)$first);
            $until = hrtime(true) + (int)($linger * 1e9);
            while (hrtime(true) < $until) {
                $s = str_repeat('b', 100);
                unset($s);
            }
            exit(0);
        }
    } else {
        $slow = 0;
    }
    if ($t1 > $deadline) {
        fwrite(STDERR, "startup_probe: no traced allocation within {$timeout}s\n");
        exit(3);
    }
}
