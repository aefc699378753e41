<?php
// String building: concatenation, sprintf, implode and str_repeat, which grow
// strings through erealloc and produce many short-lived temporaries.
// Usage: php string_build.php [LINES]
$lines = (int)($argv[1] ?? 10000);

function render_line(int $i): string
{
    return sprintf("%06d|%s|%s\n", $i, str_repeat('x', $i % 40), md5((string)$i));
}

function render_document(int $from, int $count): string
{
    $out = '';
    for ($i = $from; $i < $from + $count; $i++) {
        $out .= render_line($i);
    }
    return $out;
}

$length = 0;
$parts = [];
for ($done = 0; $done < $lines; $done += 200) {
    $parts[] = render_document($done, 200);
    if (count($parts) === 10) {
        $length += strlen(implode('', $parts));
        $parts = [];
    }
}
echo $length + strlen(implode('', $parts)), "\n";
