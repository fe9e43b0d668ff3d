;; One MT19937 block step with WebAssembly SIMD: the source of MT19937_BLOCK_WASM in mt19937-block.ts.
;; Rebuild: npx -p wabt@1.0.36 wat2wasm mt19937-block.wat -o mt.wasm && base64 -w0 mt.wasm
;; Memory: [0, 2496) the state mt (624 × i32); [2496, 4992) the tempered outputs; [4992, 7488) the 312 doubles
;; ((w[2k] >>> 5)·2^26 + (w[2k+1] >>> 6))·2^-53 of the word pairs (numpy's random_sample when a pair starts at an
;; even position).
(module
  (memory (export "memory") 1)
  (func (export "generate")
    (local $i i32) (local $y v128) (local $t v128) (local $s i32) (local $k i32)
    ;; i in [0, 224): all reads are old words
    (local.set $i (i32.const 0))
    (loop $a
      (local.set $y (v128.or
        (v128.and (v128.load (local.get $i)) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
        (v128.and (v128.load offset=4 (local.get $i)) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))))
      (v128.store (local.get $i) (v128.xor (v128.load offset=1588 (local.get $i))
        (v128.xor (i32x4.shr_u (local.get $y) (i32.const 1))
          (v128.and (i32x4.neg (v128.and (local.get $y) (v128.const i32x4 1 1 1 1))) (v128.const i32x4 0x9908b0df 0x9908b0df 0x9908b0df 0x9908b0df)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br_if $a (i32.lt_u (local.get $i) (i32.const 896))))
    ;; i in [224, 227): scalar
    (loop $b
      (local.set $s (i32.or (i32.and (i32.load (local.get $i)) (i32.const 0x80000000)) (i32.and (i32.load offset=4 (local.get $i)) (i32.const 0x7fffffff))))
      (i32.store (local.get $i) (i32.xor (i32.load offset=1588 (local.get $i))
        (i32.xor (i32.shr_u (local.get $s) (i32.const 1)) (i32.and (i32.sub (i32.const 0) (i32.and (local.get $s) (i32.const 1))) (i32.const 0x9908b0df)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $b (i32.lt_u (local.get $i) (i32.const 908))))
    ;; i in [227, 623): mt[i - 227] is already new, mt[i + 1 .. i + 4] still old
    (loop $c
      (local.set $y (v128.or
        (v128.and (v128.load (local.get $i)) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
        (v128.and (v128.load offset=4 (local.get $i)) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))))
      (v128.store (local.get $i) (v128.xor (v128.load (i32.sub (local.get $i) (i32.const 908)))
        (v128.xor (i32x4.shr_u (local.get $y) (i32.const 1))
          (v128.and (i32x4.neg (v128.and (local.get $y) (v128.const i32x4 1 1 1 1))) (v128.const i32x4 0x9908b0df 0x9908b0df 0x9908b0df 0x9908b0df)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br_if $c (i32.lt_u (local.get $i) (i32.const 2492))))
    ;; i = 623: wraps to mt[0] (new) and mt[396] (new)
    (local.set $s (i32.or (i32.and (i32.load (i32.const 2492)) (i32.const 0x80000000)) (i32.and (i32.load (i32.const 0)) (i32.const 0x7fffffff))))
    (i32.store (i32.const 2492) (i32.xor (i32.load (i32.const 1584))
      (i32.xor (i32.shr_u (local.get $s) (i32.const 1)) (i32.and (i32.sub (i32.const 0) (i32.and (local.get $s) (i32.const 1))) (i32.const 0x9908b0df)))))
    ;; tempering
    (local.set $i (i32.const 0))
    (loop $d
      (local.set $t (v128.load (local.get $i)))
      (local.set $t (v128.xor (local.get $t) (i32x4.shr_u (local.get $t) (i32.const 11))))
      (local.set $t (v128.xor (local.get $t) (v128.and (i32x4.shl (local.get $t) (i32.const 7)) (v128.const i32x4 0x9d2c5680 0x9d2c5680 0x9d2c5680 0x9d2c5680))))
      (local.set $t (v128.xor (local.get $t) (v128.and (i32x4.shl (local.get $t) (i32.const 15)) (v128.const i32x4 0xefc60000 0xefc60000 0xefc60000 0xefc60000))))
      (local.set $t (v128.xor (local.get $t) (i32x4.shr_u (local.get $t) (i32.const 18))))
      (v128.store offset=2496 (local.get $i) (local.get $t))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br_if $d (i32.lt_u (local.get $i) (i32.const 2496))))
    ;; doubles: ((w[2k] >>> 5)·2^26 + (w[2k+1] >>> 6))·2^-53
    (local.set $k (i32.const 0))
    (loop $e
      (f64.store offset=4992 (i32.shl (local.get $k) (i32.const 3))
        (f64.mul
          (f64.convert_i64_u (i64.or
            (i64.shl (i64.extend_i32_u (i32.shr_u (i32.load offset=2496 (i32.shl (local.get $k) (i32.const 3))) (i32.const 5))) (i64.const 26))
            (i64.extend_i32_u (i32.shr_u (i32.load offset=2500 (i32.shl (local.get $k) (i32.const 3))) (i32.const 6)))))
          (f64.const 0x1p-53)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $e (i32.lt_u (local.get $k) (i32.const 312))))
  )
)
