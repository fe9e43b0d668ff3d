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

  ;; dst[i] = a[i] + b[i] for i < n: two uint8 rows into one int32 row.
  (func (export "addU8")  (param $dst i32) (param $a i32) (param $b i32) (param $n i32)
    (local $i i32) (local $end i32) (local $s v128)
    (local.set $end (i32.and (local.get $n) (i32.const -8)))
    (local.set $i (i32.const 0))
    (block $done8
      (br_if $done8 (i32.ge_u (local.get $i) (local.get $end)))
      (loop $l8
        (local.set $s (i16x8.add
          (i16x8.extend_low_i8x16_u (v128.load64_zero (i32.add (local.get $a) (local.get $i))))
          (i16x8.extend_low_i8x16_u (v128.load64_zero (i32.add (local.get $b) (local.get $i))))))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))) (i32x4.extend_low_i16x8_u (local.get $s)))
        (v128.store offset=16 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))) (i32x4.extend_high_i16x8_u (local.get $s)))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br_if $l8 (i32.lt_u (local.get $i) (local.get $end)))))
    (block $done1
      (br_if $done1 (i32.ge_u (local.get $i) (local.get $n)))
      (loop $l1
        (i32.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (i32.add (i32.load8_u (i32.add (local.get $a) (local.get $i))) (i32.load8_u (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l1 (i32.lt_u (local.get $i) (local.get $n)))))
  )

  ;; Grouped weighted sum of int32 rows: dst[i] = ((0 + S₁[i]·w₁) + S₂[i]·w₂) + … (float64) for i < n, where
  ;; S_g[i] = Σ_e (A_e[i] + B_e[i]) over the group's entries, in int32. `groups` holds `ngroups` records: w f64,
  ;; count i32, unused i32, then count × (A offset i32, B offset i32); A and B address int32 rows.
  (func (export "gsum") (param $dst i32) (param $groups i32) (param $ngroups i32) (param $n i32)
    (local $i i32) (local $end i32) (local $g i32) (local $gi i32) (local $e i32) (local $eend i32)
    (local $pa i32) (local $pb i32) (local $i4 i32)
    (local $s0 v128) (local $s1 v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $wv v128)
    (local $ss i32) (local $acc f64)
    (local.set $end (i32.and (local.get $n) (i32.const -8)))
    (local.set $i (i32.const 0))
    (block $done8
      (br_if $done8 (i32.ge_u (local.get $i) (local.get $end)))
      (loop $l8
        (local.set $i4 (i32.shl (local.get $i) (i32.const 2)))
        (local.set $a0 (f64x2.splat (f64.const 0)))
        (local.set $a1 (f64x2.splat (f64.const 0)))
        (local.set $a2 (f64x2.splat (f64.const 0)))
        (local.set $a3 (f64x2.splat (f64.const 0)))
        (local.set $g (local.get $groups))
        (local.set $gi (i32.const 0))
        (block $gdone
          (br_if $gdone (i32.ge_u (local.get $gi) (local.get $ngroups)))
          (loop $gl
            (local.set $wv (v128.load64_splat (local.get $g)))
            (local.set $e (i32.add (local.get $g) (i32.const 16)))
            (local.set $eend (i32.add (local.get $e) (i32.shl (i32.load offset=8 (local.get $g)) (i32.const 3))))
            (local.set $s0 (i32x4.splat (i32.const 0)))
            (local.set $s1 (i32x4.splat (i32.const 0)))
            (block $edone
              (br_if $edone (i32.ge_u (local.get $e) (local.get $eend)))
              (loop $el
                (local.set $pa (i32.add (i32.load (local.get $e)) (local.get $i4)))
                (local.set $pb (i32.add (i32.load offset=4 (local.get $e)) (local.get $i4)))
                (local.set $s0 (i32x4.add (local.get $s0) (i32x4.add (v128.load (local.get $pa)) (v128.load (local.get $pb)))))
                (local.set $s1 (i32x4.add (local.get $s1) (i32x4.add (v128.load offset=16 (local.get $pa)) (v128.load offset=16 (local.get $pb)))))
                (local.set $e (i32.add (local.get $e) (i32.const 8)))
                (br_if $el (i32.lt_u (local.get $e) (local.get $eend)))))
            (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $s0)) (local.get $wv))))
            (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (f64x2.convert_low_i32x4_s
              (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $s0) (local.get $s0))) (local.get $wv))))
            (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $s1)) (local.get $wv))))
            (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (f64x2.convert_low_i32x4_s
              (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $s1) (local.get $s1))) (local.get $wv))))
            (local.set $g (local.get $eend))
            (local.set $gi (i32.add (local.get $gi) (i32.const 1)))
            (br_if $gl (i32.lt_u (local.get $gi) (local.get $ngroups)))))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3))) (local.get $a0))
        (v128.store offset=16 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3))) (local.get $a1))
        (v128.store offset=32 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3))) (local.get $a2))
        (v128.store offset=48 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3))) (local.get $a3))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br_if $l8 (i32.lt_u (local.get $i) (local.get $end)))))
    (block $done1
      (br_if $done1 (i32.ge_u (local.get $i) (local.get $n)))
      (loop $l1
        (local.set $i4 (i32.shl (local.get $i) (i32.const 2)))
        (local.set $acc (f64.const 0))
        (local.set $g (local.get $groups))
        (local.set $gi (i32.const 0))
        (block $gdone1
          (br_if $gdone1 (i32.ge_u (local.get $gi) (local.get $ngroups)))
          (loop $gl1
            (local.set $e (i32.add (local.get $g) (i32.const 16)))
            (local.set $eend (i32.add (local.get $e) (i32.shl (i32.load offset=8 (local.get $g)) (i32.const 3))))
            (local.set $ss (i32.const 0))
            (block $edone1
              (br_if $edone1 (i32.ge_u (local.get $e) (local.get $eend)))
              (loop $el1
                (local.set $ss (i32.add (local.get $ss) (i32.add
                  (i32.load (i32.add (i32.load (local.get $e)) (local.get $i4)))
                  (i32.load (i32.add (i32.load offset=4 (local.get $e)) (local.get $i4))))))
                (local.set $e (i32.add (local.get $e) (i32.const 8)))
                (br_if $el1 (i32.lt_u (local.get $e) (local.get $eend)))))
            (local.set $acc (f64.add (local.get $acc) (f64.mul (f64.convert_i32_s (local.get $ss)) (f64.load (local.get $g)))))
            (local.set $g (local.get $eend))
            (local.set $gi (i32.add (local.get $gi) (i32.const 1)))
            (br_if $gl1 (i32.lt_u (local.get $gi) (local.get $ngroups)))))
        (f64.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3))) (local.get $acc))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l1 (i32.lt_u (local.get $i) (local.get $n)))))
  )
)
