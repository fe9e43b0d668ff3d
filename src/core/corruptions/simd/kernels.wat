;; WebAssembly SIMD kernels of the corruptions: the source of SIMD_KERNELS_WASM in kernels.ts.
;; Rebuild: npx -p wabt@1.0.36 wat2wasm kernels.wat -o kernels.wasm && base64 -w0 kernels.wasm
;; Every kernel works on byte offsets into the one exported memory and keeps, per lane, the operations and their
;; order of the JavaScript loop it replaces (wasm never fuses a multiply and an add), so results are identical.
(module
  (memory (export "memory") 1)
  ;; dst[i] = src0[i]·w0 + Σ_t (lo_t[i] + hi_t[i])·w_t for i < n, taps t in order: records of 16 bytes
  ;; (lo byte offset i32, hi byte offset i32, w f64) at `taps`; all offsets in bytes, f64 elements.
  (func (export "sym") (param $dst i32) (param $src0 i32) (param $w0 f64) (param $taps i32) (param $ntaps i32) (param $n i32)
    (local $i i32) (local $end i32) (local $t i32) (local $tend i32) (local $a v128) (local $b v128) (local $wk v128) (local $lo i32) (local $hi i32) (local $w0v v128) (local $s f64)
    (local.set $w0v (f64x2.splat (local.get $w0)))
    (local.set $tend (i32.add (local.get $taps) (i32.shl (local.get $ntaps) (i32.const 4))))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 3)))
    (local.set $i (i32.const 0))
    (block $done4
      (br_if $done4 (i32.ge_u (local.get $i) (local.get $end)))
      (loop $outer
        (local.set $a (f64x2.mul (v128.load (i32.add (local.get $src0) (local.get $i))) (local.get $w0v)))
        (local.set $b (f64x2.mul (v128.load offset=16 (i32.add (local.get $src0) (local.get $i))) (local.get $w0v)))
        (local.set $t (local.get $taps))
        (block $tdone
          (br_if $tdone (i32.ge_u (local.get $t) (local.get $tend)))
          (loop $taploop
            (local.set $lo (i32.add (i32.load (local.get $t)) (local.get $i)))
            (local.set $hi (i32.add (i32.load offset=4 (local.get $t)) (local.get $i)))
            (local.set $wk (v128.load64_splat offset=8 (local.get $t)))
            (local.set $a (f64x2.add (local.get $a) (f64x2.mul (f64x2.add (v128.load (local.get $lo)) (v128.load (local.get $hi))) (local.get $wk))))
            (local.set $b (f64x2.add (local.get $b) (f64x2.mul (f64x2.add (v128.load offset=16 (local.get $lo)) (v128.load offset=16 (local.get $hi))) (local.get $wk))))
            (local.set $t (i32.add (local.get $t) (i32.const 16)))
            (br_if $taploop (i32.lt_u (local.get $t) (local.get $tend)))))
        (v128.store (i32.add (local.get $dst) (local.get $i)) (local.get $a))
        (v128.store offset=16 (i32.add (local.get $dst) (local.get $i)) (local.get $b))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br_if $outer (i32.lt_u (local.get $i) (local.get $end)))))
    ;; scalar tail
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $done1
      (br_if $done1 (i32.ge_u (local.get $i) (local.get $end)))
      (loop $tail
        (local.set $s (f64.mul (f64.load (i32.add (local.get $src0) (local.get $i))) (local.get $w0)))
        (local.set $t (local.get $taps))
        (block $tdone1
          (br_if $tdone1 (i32.ge_u (local.get $t) (local.get $tend)))
          (loop $taploop1
            (local.set $s (f64.add (local.get $s) (f64.mul (f64.add (f64.load (i32.add (i32.load (local.get $t)) (local.get $i))) (f64.load (i32.add (i32.load offset=4 (local.get $t)) (local.get $i)))) (f64.load offset=8 (local.get $t)))))
            (local.set $t (i32.add (local.get $t) (i32.const 16)))
            (br_if $taploop1 (i32.lt_u (local.get $t) (local.get $tend)))))
        (f64.store (i32.add (local.get $dst) (local.get $i)) (local.get $s))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br_if $tail (i32.lt_u (local.get $i) (local.get $end)))))
  )

  ;; dst[i] = ((0 + s₀[i]·w₀) + s₁[i]·w₁) + … for i < n (float64): an accumulator that starts at 0 and adds the
  ;; taps in order. `taps` holds `ntaps` 16-byte records (source offset i32, unused i32, w f64).
  (func (export "dot") (param $dst i32) (param $taps i32) (param $ntaps i32) (param $n i32)
    (local $i i32) (local $end i32) (local $t i32) (local $tend i32) (local $a v128) (local $b v128) (local $wk v128) (local $p i32) (local $s f64)
    (local.set $tend (i32.add (local.get $taps) (i32.shl (local.get $ntaps) (i32.const 4))))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 3)))
    (local.set $i (i32.const 0))
    (block $done4
      (br_if $done4 (i32.ge_u (local.get $i) (local.get $end)))
      (loop $outer
        (local.set $a (f64x2.splat (f64.const 0)))
        (local.set $b (f64x2.splat (f64.const 0)))
        (local.set $t (local.get $taps))
        (block $tdone
          (br_if $tdone (i32.ge_u (local.get $t) (local.get $tend)))
          (loop $taploop
            (local.set $p (i32.add (i32.load (local.get $t)) (local.get $i)))
            (local.set $wk (v128.load64_splat offset=8 (local.get $t)))
            (local.set $a (f64x2.add (local.get $a) (f64x2.mul (v128.load (local.get $p)) (local.get $wk))))
            (local.set $b (f64x2.add (local.get $b) (f64x2.mul (v128.load offset=16 (local.get $p)) (local.get $wk))))
            (local.set $t (i32.add (local.get $t) (i32.const 16)))
            (br_if $taploop (i32.lt_u (local.get $t) (local.get $tend)))))
        (v128.store (i32.add (local.get $dst) (local.get $i)) (local.get $a))
        (v128.store offset=16 (i32.add (local.get $dst) (local.get $i)) (local.get $b))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br_if $outer (i32.lt_u (local.get $i) (local.get $end)))))
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $done1
      (br_if $done1 (i32.ge_u (local.get $i) (local.get $end)))
      (loop $tail
        (local.set $s (f64.const 0))
        (local.set $t (local.get $taps))
        (block $tdone1
          (br_if $tdone1 (i32.ge_u (local.get $t) (local.get $tend)))
          (loop $taploop1
            (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (i32.add (i32.load (local.get $t)) (local.get $i))) (f64.load offset=8 (local.get $t)))))
            (local.set $t (i32.add (local.get $t) (i32.const 16)))
            (br_if $taploop1 (i32.lt_u (local.get $t) (local.get $tend)))))
        (f64.store (i32.add (local.get $dst) (local.get $i)) (local.get $s))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br_if $tail (i32.lt_u (local.get $i) (local.get $end)))))
  )
)
