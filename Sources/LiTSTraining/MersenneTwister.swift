/// numpy's legacy `RandomState(seed)`, as far as cross-validation needs it: MT19937 seeded as
/// `mt19937_seed` does for an integer seed (Matsumoto and Nishimura's `init_genrand`), 32-bit
/// outputs with the standard tempering, and the legacy bounded draw (`random_interval`: the
/// smallest all-ones mask at or above the bound, redrawn until the masked value fits) behind
/// `RandomState.shuffle`. Written from the MT19937 paper and numpy's documented behaviour, so
/// that nnU-Net's folds (scikit-learn's `KFold(shuffle=True, random_state=12345)`) come out
/// the same; `FoldSplitTests` checks that against scikit-learn's output.
public struct MersenneTwister: Sendable {
    static let n = 624, m = 397
    static let matrixA: UInt32 = 0x9908_B0DF, upperMask: UInt32 = 0x8000_0000, lowerMask: UInt32 = 0x7FFF_FFFF

    var state = [UInt32](repeating: 0, count: MersenneTwister.n)
    var position = MersenneTwister.n

    /// `RandomState(seed)` for a seed in 0 ..< 2^32.
    public init(seed: UInt32) {
        state[0] = seed
        for i in 1..<Self.n {
            let previous = state[i - 1]
            state[i] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(i)
        }
        position = Self.n
    }

    /// The next 32-bit output (`genrand_int32`).
    public mutating func next() -> UInt32 {
        if position >= Self.n { regenerate() }
        var y = state[position]
        position += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// The next block of 624 words.
    mutating func regenerate() {
        for i in 0..<Self.n {
            let y = (state[i] & Self.upperMask) | (state[(i + 1) % Self.n] & Self.lowerMask)
            state[i] = state[(i + Self.m) % Self.n] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : Self.matrixA)
        }
        position = 0
    }

    /// A value in 0 ... bound, as numpy's legacy `random_interval` draws it (bounds below 2^32).
    public mutating func interval(_ bound: UInt32) -> UInt32 {
        guard bound > 0 else { return 0 }
        var mask = bound
        for shift in [1, 2, 4, 8, 16] as [UInt32] { mask |= mask >> shift }
        while true {
            let value = next() & mask
            if value <= bound { return value }
        }
    }

    /// `RandomState.shuffle` of a 1-D array: from the last element down, each swapped with one
    /// drawn at or below it.
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, through: 1, by: -1) {
            let j = Int(interval(UInt32(i)))
            values.swapAt(i, j)
        }
    }
}
