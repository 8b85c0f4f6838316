import COpenBLAS

// The one door to OpenBLAS's GEMM: row-major single-precision products with Swift arguments.
// Callers run it single-threaded (NetThreads sets OpenBLAS to one thread per worker).

/// Row-major C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C.
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
