<?php
// Keeps about 4 MB, then makes three HTTP requests with curl. libcurl's threaded
// resolver starts a thread for each host name lookup: threads of this process,
// sharing its heap, not child processes.
$keep = [];
for ($i = 0; $i < 4000; $i++) {
    $keep[] = str_repeat('k', 1000);
}
echo "ASYNCH_DNS=", (curl_version()['features'] & CURL_VERSION_ASYNCHDNS) ? 1 : 0, "\n";
$host = gethostname(); // in /etc/hosts: resolved at once, by a resolver thread
$last_pid = (int)file_get_contents('/proc/sys/kernel/ns_last_pid');
for ($i = 0; $i < 3; $i++) {
    $ch = curl_init("http://$host:9/"); // the discard port: refused at once
    curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
    curl_setopt($ch, CURLOPT_CONNECTTIMEOUT_MS, 2000);
    curl_exec($ch);
    curl_close($ch);
}
// Every new thread takes a task ID: at least one per request (more if other
// processes started meanwhile).
echo "TASKS_STARTED=", (int)file_get_contents('/proc/sys/kernel/ns_last_pid') - $last_pid, "\n";
echo "PEAK=", memory_get_peak_usage(), "\n";
echo "USAGE=", memory_get_usage(), "\n";
