<?php
// Included by names.php: top-level code and a function defined in another file.
$keep[] = str_repeat('i', 1005); // SITE include_main

function included_function(): string
{
    return str_repeat('f', 1006); // SITE included_function
}
