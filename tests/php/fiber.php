<?php
// A Fiber whose code allocates: its stack must read as PHP shows it, with no
// spurious {main} where the fiber starts (zend_fiber_function, an unnamed frame).
function inner() { return str_repeat('f', 5000); }
function in_fiber() { $x = inner(); Fiber::suspend($x); return $x; }
function outer() {
    $f = new Fiber('in_fiber');
    $v = $f->start();
    $GLOBALS['keep'] = $v;
    $f->resume();
}
outer();
