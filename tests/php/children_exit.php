<?php
// Keeps about 4 MB, then starts children that end without PHP's shutdown, each
// holding a copy of that heap: shell_exec() (popen: the child execs /bin/sh), a
// forked child that execs /bin/true, and a forked child that allocates 1 MiB of
// its own and is killed by SIGKILL.
$keep = [];
for ($i = 0; $i < 4000; $i++) {
    $keep[] = str_repeat('k', 1000);
}
echo "KEPT=", memory_get_usage(), "\n";
for ($i = 0; $i < 3; $i++) {
    shell_exec('true');
}
$pid = pcntl_fork();
if ($pid === 0) {
    pcntl_exec('/bin/true');
    exit(1);
}
pcntl_waitpid($pid, $status);
$pid = pcntl_fork();
if ($pid === 0) {
    usleep(1000000); // its probes are attached meanwhile (a loaded host can take a while)
    $mine = str_repeat('m', 1 << 20);
    while (true) {
        usleep(10000);
    }
}
usleep(1500000);
shell_exec("kill -9 $pid");
pcntl_waitpid($pid, $status);
echo "KILLED=", pcntl_wifsignaled($status) ? pcntl_wtermsig($status) : 0, "\n";
echo "USAGE=", memory_get_usage(), "\n";
