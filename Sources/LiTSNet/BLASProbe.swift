import COpenBLAS
import Foundation
import LiTSCore

/// OpenBLAS's own speed on this machine, the yardstick for the convolutions' GFLOP/s.
public enum BLASProbe {
    /// Median GFLOP/s of an n x n x n sgemm with OpenBLAS's own `threads` threads. Restores
    /// single-threaded OpenBLAS afterwards, as the layers expect.
    public static func sgemmGFLOPS(n: Int = 1024, threads: Int = 2, repeats: Int = 5) -> Double {
        openblas_set_num_threads(Int32(threads))
        defer { openblas_set_num_threads(1) }
        var rng = SeededGenerator(seed: 1)
        let a = (0..<(n * n)).map { _ in Float.random(in: -1...1, using: &rng) }
        let b = (0..<(n * n)).map { _ in Float.random(in: -1...1, using: &rng) }
        var c = [Float](repeating: 0, count: n * n)
        var times: [Double] = []
        for _ in 0..<(repeats + 1) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        let sorted = times.dropFirst().sorted()
        return 2 * pow(Double(n), 3) / sorted[sorted.count / 2] / 1e9
    }

    /// Which kernel-3 convolution Conv3d runs with `context`: "direct-avx512", "direct-avx2" or "im2col-openblas".
    public static func convolutionPath(_ context: NetContext = .default) -> String { context.convolution.rawValue }
}
