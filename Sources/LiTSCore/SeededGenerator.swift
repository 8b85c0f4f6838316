/// A small, fast, seedable generator: SplitMix64 (Steele, Lea and Flood 2014; the generator Java's
/// SplittableRandom and the seeding of xoshiro use). Every random choice in LiTSKit takes one, so
/// the same seed gives the same bytes on every machine (and a fixture script can repeat it).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An index in 0..<n: the high 64 bits of next() * n (Lemire's multiply-shift), as
    /// scripts/make_compare_fixture.py draws it.
    public mutating func index(below n: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }
}
