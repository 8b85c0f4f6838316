import Foundation
import LiTSCore

/// A Float32 tensor, contiguous, row-major (the last axis fastest). Volumes use PyTorch's
/// channels-first layout (N, C, D, H, W), with D, H, W the volume's k, j, i axes, so that
/// `data` of one channel is exactly a NIfTI-ordered volume.
public struct Tensor: Equatable, Sendable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "tensor data has \(data.count) values, shape \(shape) needs \(shape.reduce(1, *))")
        self.shape = shape
        self.data = data
    }

    public init(shape: [Int], repeating value: Float = 0) {
        self.shape = shape
        self.data = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// Deterministic values from a seeded generator, uniform in [-bound, bound].
    public static func uniform(_ shape: [Int], bound: Float, using rng: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -bound...bound, using: &rng) })
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// Row-major strides.
    public var strides: [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        for a in stride(from: shape.count - 2, through: 0, by: -1) { s[a] = s[a + 1] * shape[a + 1] }
        return s
    }

    /// (N, C, D, H, W) of a 5D tensor.
    public var ncdhw: (n: Int, c: Int, d: Int, h: Int, w: Int) {
        precondition(shape.count == 5, "expected a 5D tensor (N, C, D, H, W), got \(shape)")
        return (shape[0], shape[1], shape[2], shape[3], shape[4])
    }

    public mutating func fill(_ value: Float) {
        data.withUnsafeMutableBufferPointer { $0.update(repeating: value) }
    }

    /// Element-wise a += b.
    public static func += (a: inout Tensor, b: Tensor) {
        precondition(a.shape == b.shape, "shape mismatch \(a.shape) vs \(b.shape)")
        a.data.withUnsafeMutableBufferPointer { x in
            b.data.withUnsafeBufferPointer { y in for i in 0..<x.count { x[i] += y[i] } }
        }
    }

    public func sum() -> Double { data.reduce(0.0) { $0 + Double($1) } }
}

extension Tensor {
    /// A tensor whose values `fill` writes, every one of them, before anything reads them (skips
    /// the zero fill of `Tensor(shape:)`).
    static func uninitialized(_ shape: [Int], thenWrite fill: (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        let count = shape.reduce(1, *)
        let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { fill(buffer.baseAddress!) }
            initialized = count
        }
        return Tensor(shape: shape, data: data)
    }
}
