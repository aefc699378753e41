<?php
// The version matrix's workload (tests/versions): blocks of known sizes from known
// frames, between memory_get_usage() checkpoints, in syntax PHP 7.4 - 8.5 all read.
// It starts once the tracer has attached: when the file argv[1] exists.
echo "STARTED\n";
for ($i = 0; $i < 3000 && !file_exists($argv[1]); $i++) {
    usleep(10000);
    clearstatcache();
}

final class Keeper
{
    public function keep(int $n): array
    {
        $out = [];
        for ($i = 0; $i < $n; $i++) {
            $out[] = str_repeat('k', 5000); // SITE keep
        }
        return $out;
    }
}

function strings_from_generator(int $n)
{
    for ($i = 0; $i < $n; $i++) {
        yield str_repeat('g', 1000); // SITE generator
    }
}

function delegate(int $n)
{
    yield from strings_from_generator($n); // SITE delegate
}

$seen = [memory_get_usage()];
$kept = (new Keeper())->keep(40);
$seen[] = memory_get_usage();
foreach (delegate(30) as $value) {
    $kept[] = $value;
}
$seen[] = memory_get_usage();
unset($kept, $value);
$seen[] = memory_get_usage();

foreach (file(__FILE__) as $index => $line) {
    if (preg_match('#// SITE (\w+)$#', rtrim($line), $m)) {
        echo 'LINE_', $m[1], '=', $index + 1, "\n";
    }
}
echo 'PHP_VERSION=', PHP_VERSION, "\n";
echo 'CHECKPOINTS=', count($seen), "\n";
