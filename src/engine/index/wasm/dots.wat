;; Exact scores of int8 vectors for vector-index.ts: the dot product of each stored vector's codes
;; with a query, computed as int8.ts `dot` computes it (the same float64 operations in the same
;; order, so the same bits), two lanes at a time. Assembled into dots-wasm.ts by
;; `npm run build:wasm` (scripts/build-wasm.mjs, with wabt); a test checks that the two agree.
(module
  (memory (export "memory") 1)
  ;; out[n] (f64) = the dot product of the int8 codes at codes + n * stride (dim of them, dim a
  ;; multiple of 4) with the f64 query at query, summed as int8.ts `dot` sums: four running sums,
  ;; s0 over dims 0, 4, 8, ..., s1 over 1, 5, 9, ..., then s0 + s1 + s2 + s3.
  (func (export "dots") (param $codes i32) (param $stride i32) (param $count i32) (param $query i32) (param $dim i32) (param $out i32)
    (local $n i32) (local $c i32) (local $q i32) (local $j i32) (local $end16 i32)
    (local $a v128) (local $b v128) (local $x v128) (local $y v128) (local $v v128)
    (local.set $end16 (i32.and (local.get $dim) (i32.const -16)))
    (block $done
      (loop $node
        (br_if $done (i32.ge_u (local.get $n) (local.get $count)))
        (local.set $c (i32.add (local.get $codes) (i32.mul (local.get $n) (local.get $stride))))
        (local.set $q (local.get $query))
        (local.set $a (v128.const i64x2 0 0))
        (local.set $b (v128.const i64x2 0 0))
        (local.set $j (i32.const 0))
        ;; sixteen codes at a time
        (block $end_sixteen
          (loop $sixteen
            (br_if $end_sixteen (i32.ge_u (local.get $j) (local.get $end16)))
            (local.set $x (v128.load align=1 (local.get $c)))
            ;; codes 0..7 as i16, then 0..3 and 4..7 as i32; then 8..15. Each four codes: the first two,
            ;; as f64, times the query's two values, added to (s0, s1); the other two to (s2, s3)
            (local.set $y (i16x8.extend_low_i8x16_s (local.get $x)))
            (local.set $v (i32x4.extend_low_i16x8_s (local.get $y)))
            (local.set $a (f64x2.add (local.get $a) (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $v)) (v128.load offset=0 align=8 (local.get $q)))))
            (local.set $b (f64x2.add (local.get $b) (f64x2.mul (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (v128.load offset=16 align=8 (local.get $q)))))
            (local.set $v (i32x4.extend_high_i16x8_s (local.get $y)))
            (local.set $a (f64x2.add (local.get $a) (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $v)) (v128.load offset=32 align=8 (local.get $q)))))
            (local.set $b (f64x2.add (local.get $b) (f64x2.mul (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (v128.load offset=48 align=8 (local.get $q)))))
            (local.set $y (i16x8.extend_high_i8x16_s (local.get $x)))
            (local.set $v (i32x4.extend_low_i16x8_s (local.get $y)))
            (local.set $a (f64x2.add (local.get $a) (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $v)) (v128.load offset=64 align=8 (local.get $q)))))
            (local.set $b (f64x2.add (local.get $b) (f64x2.mul (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (v128.load offset=80 align=8 (local.get $q)))))
            (local.set $v (i32x4.extend_high_i16x8_s (local.get $y)))
            (local.set $a (f64x2.add (local.get $a) (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $v)) (v128.load offset=96 align=8 (local.get $q)))))
            (local.set $b (f64x2.add (local.get $b) (f64x2.mul (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (v128.load offset=112 align=8 (local.get $q)))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 128)))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $sixteen)))
        ;; four at a time
        (block $end_four
          (loop $fours
            (br_if $end_four (i32.ge_u (local.get $j) (local.get $dim)))
            (local.set $v (i32x4.extend_low_i16x8_s (i16x8.extend_low_i8x16_s (v128.load32_zero align=1 (local.get $c)))))
            (local.set $a (f64x2.add (local.get $a) (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $v)) (v128.load offset=0 align=8 (local.get $q)))))
            (local.set $b (f64x2.add (local.get $b) (f64x2.mul (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (v128.load offset=16 align=8 (local.get $q)))))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $fours)))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3)))
          (f64.add
            (f64.add
              (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a)))
              (f64x2.extract_lane 0 (local.get $b)))
            (f64x2.extract_lane 1 (local.get $b))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $node)))))
