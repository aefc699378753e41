<?php
// Object graph with cycles: parent/child links and peers, dropped in batches and
// reclaimed by the cycle collector.
// Usage: php object_graph.php [NODES]
$nodes = (int)($argv[1] ?? 5000);

final class TreeNode
{
    public ?TreeNode $parent = null;
    public array $children = [];
    public array $attributes;

    public function __construct(public string $name)
    {
        $this->attributes = ['created' => $name, 'weight' => strlen($name)];
    }

    public function add(TreeNode $child): void
    {
        $child->parent = $this;  // a cycle: parent <-> child
        $this->children[] = $child;
    }
}

function build_tree(int $size, int $batch): TreeNode
{
    $root = new TreeNode("root-$batch");
    $level = [$root];
    $made = 1;
    while ($made < $size) {
        $next = [];
        foreach ($level as $parent) {
            for ($k = 0; $k < 4 && $made < $size; $k++, $made++) {
                $child = new TreeNode("n$batch-$made");
                $parent->add($child);
                $next[] = $child;
            }
        }
        $level = $next;
    }
    return $root;
}

$collected = 0;
for ($batch = 0, $left = $nodes; $left > 0; $batch++, $left -= 500) {
    $tree = build_tree(min(500, $left), $batch);
    unset($tree);
    $collected += gc_collect_cycles();
}
echo $collected, "\n";
