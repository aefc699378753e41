<?php
// Prepended to a real program (-d auto_prepend_file): prints what PHP itself says
// the heap holds when the script has finished, and its peak, for the test to
// compare with.
register_shutdown_function(function () {
    fwrite(STDERR, "SHUTDOWN_USAGE=" . memory_get_usage() . "\nSHUTDOWN_PEAK=" . memory_get_peak_usage() . "\n");
});
