<?php
use PHPUnit\Framework\TestCase;
class SmallTest extends TestCase { public function testA(): void { $this->assertSame(3, strlen(str_repeat('x', 3))); } public function testB(): void { $a = range(1, 1000); $this->assertCount(1000, $a); } }
