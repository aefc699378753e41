<?php
// A parent builds a large array; a pcntl_fork() child modifies part of it. The
// child's writes land on pages it shares copy-on-write with its parent, so each
// page it writes is one copy-on-write fault in the Zend heap, taken while
// modify_in_child() runs. Prints what it did as KEY=VALUE lines.
function build_array(int $n): array {
    $a = [];
    for ($i = 0; $i < $n; $i++) $a[] = $i;
    return $a;
}

function modify_in_child(array &$a, int $count): void {
    for ($i = 0; $i < $count; $i++) $a[$i] = -$i;
}

$elements = (int)($argv[1] ?? 60000);
$modified = (int)($argv[2] ?? 30000);
$a = build_array($elements);   // a packed array: 16 bytes per element, one block
$pid = pcntl_fork();
if ($pid === 0) {
    modify_in_child($a, $modified);
    exit(0);
}
pcntl_waitpid($pid, $status);
echo "ELEMENTS=$elements\n";
echo "MODIFIED=$modified\n";
echo "MODIFIED_BYTES=" . ($modified * 16) . "\n";
echo "CHILD_EXIT=" . pcntl_wexitstatus($status) . "\n";
