<?php
// Many distinct call stacks for the "large profile" flame graph test: value $i
// walks down 14 levels, taking left_N or right_N at level N by bit N of $i, so
// 2^14 = 16,384 different paths each end in one allocation.
$levels = 14;
for ($n = 0; $n < $levels; $n++) {
    eval("function left_$n(int \$i, array &\$keep): void { step($n + 1, \$i, \$keep); }
          function right_$n(int \$i, array &\$keep): void { step($n + 1, \$i, \$keep); }");
}

function step(int $level, int $i, array &$keep): void
{
    if ($level === 14) {
        $keep[] = str_repeat('x', 20 + $i % 200);
        return;
    }
    $next = (($i >> $level) & 1) ? "right_$level" : "left_$level";
    $next($i, $keep);
}

$keep = [];
for ($i = 0; $i < (1 << $levels); $i++) {
    step(0, $i, $keep);
}
echo "STACKS=", count($keep), "\n";
