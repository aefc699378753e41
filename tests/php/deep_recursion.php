<?php
// Recursion deep enough to grow the VM stack by many pages: each call pushes a frame
// (zend_execute_data, 80 bytes, plus arguments and locals) on EG(vm_stack), whose
// pages are emalloc'd 256 KiB blocks of the Zend heap, touched for the first time.
function down(int $n, $a, $b, $c, $d) {
    $x = $n;
    $y = $n + 1;
    return $n ? down($n - 1, $a, $b, $c, $d) + 1 : 0;
}
$depth = (int)($argv[1] ?? 20000);
echo "DEPTH=" . down($depth, 1, 2, 3, 4) . "\n";
