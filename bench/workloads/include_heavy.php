<?php
// Include-heavy program: compiles many generated files (classes, functions,
// arrays of constants), the way a framework boots without opcache.
// Usage: php include_heavy.php --generate DIR [FILES]   (once, untimed)
//        php include_heavy.php DIR
if (($argv[1] ?? '') === '--generate') {
    $dir = $argv[2];
    $files = (int)($argv[3] ?? 100);
    @mkdir($dir, 0755, true);
    for ($f = 0; $f < $files; $f++) {
        $code = "<?php\nnamespace Gen\\Pkg$f;\n\n";
        for ($c = 0; $c < 5; $c++) {
            $code .= "final class Service{$c}\n{\n    private array \$config = [";
            for ($k = 0; $k < 10; $k++) $code .= "'key$k' => 'value-$f-$c-$k', ";
            $code .= "];\n";
            for ($m = 0; $m < 6; $m++) {
                $code .= "    public function method$m(int \$x): string\n    {\n"
                       . "        \$parts = [];\n        for (\$i = 0; \$i < \$x; \$i++) { \$parts[] = \$this->config['key' . (\$i % 10)]; }\n"
                       . "        return implode(',', \$parts) . '$f-$c-$m';\n    }\n";
            }
            $code .= "}\n\n";
        }
        $code .= "function helper_$f(array \$in): array { return array_map(fn(\$v) => \"$f:\$v\", \$in); }\n";
        file_put_contents("$dir/file$f.php", $code);
    }
    exit(0);
}
$dir = $argv[1];
$total = 0;
$files = count(glob("$dir/file*.php"));
for ($i = 0; $i < $files; $i++) {
    require "$dir/file$i.php";
    $class = "Gen\\Pkg$i\\Service0";
    $total += strlen((new $class())->method0(3));
    $total += count(("Gen\\Pkg$i\\helper_$i")([1, 2, 3]));
}
echo $total, "\n";
